package dev.tessera.samples.heat;

import dev.tessera.persistence.checkpoint.Checkpoints;
import dev.tessera.samples.launch.ClusterOptions;
import dev.tessera.samples.launch.JobProgressBar;
import dev.tessera.samples.launch.SampleCluster;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Heat diffusion on a plate, the long-running sample: the plate is cut into tiles, each a sharded
 * entity on some node ({@link HeatTile}), which exchange their edges with their neighbours every
 * step; a driver ({@link HeatRun}) gathers the plate every few hundred steps, writes a PNG frame
 * and saves a checkpoint. Kill a node and the tiles are seeded again from the last grid gathered;
 * kill the sample itself and run it again with the same {@code --run}: it continues from its last
 * checkpoint, and reaches the same final grid, bit for bit, as a run that was never interrupted.
 *
 * <pre>bin/sample heat                                      # 3 local nodes, frames in tessera-samples/heat/frames
 * bin/sample heat --size 512x384 --tiles 4x4 --steps 20000
 * bin/sample heat --seeds 192.168.1.10:25520 --host 192.168.1.20 --node-config postgres.conf</pre>
 */
@Command(name = "heat", mixinStandardHelpOptions = true,
    description = "Heat diffusion on a plate of tiles spread over the cluster: PNG frames, checkpoints, resumable.")
public final class HeatSimulation implements Callable<Integer> {

  /** Checkpoints of run R are the simulation {@code heat/R}. */
  static final String CHECKPOINT_PREFIX = "heat/";

  @Mixin
  ClusterOptions cluster;

  @Option(names = "--run", paramLabel = "NAME", defaultValue = "heat",
      description = "the run's name: run again with the same name to continue it (default: ${DEFAULT-VALUE})")
  String run;

  @Option(names = "--size", paramLabel = "WxH", defaultValue = "240x160",
      description = "interior points of the plate (default: ${DEFAULT-VALUE})")
  String size;

  @Option(names = "--tiles", paramLabel = "CxR", defaultValue = "3x2",
      description = "tiles across and down (default: ${DEFAULT-VALUE}); a resumed run may use another tiling")
  String tiling;

  /** The halo depth when --halo is not given, unless the smallest tile is thinner. */
  static final int DEFAULT_HALO = 16;

  @Option(names = "--halo", paramLabel = "N",
      description = "steps a tile computes between two exchanges with its neighbours, the depth of its halo"
          + " (default: 16, or the smallest tile's side if that is less); any depth gives the same grid")
  Integer halo;

  @Option(names = "--steps", paramLabel = "N", defaultValue = "10000",
      description = "the step to reach (default: ${DEFAULT-VALUE}); a resumed run goes on to it")
  long steps;

  @Option(names = "--checkpoint-every", paramLabel = "N", defaultValue = "1000",
      description = "save a checkpoint every N steps (default: ${DEFAULT-VALUE})")
  long checkpointEvery;

  @Option(names = "--frame-every", paramLabel = "N", defaultValue = "500",
      description = "write a PNG frame every N steps, 0 for none but the last (default: ${DEFAULT-VALUE})")
  long frameEvery;

  @Option(names = "--boundary", paramLabel = "B", defaultValue = "HOT_TOP_EDGE",
      description = "the plate's edges: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE})")
  HeatProblem.Boundary boundary;

  @Override
  public Integer call() throws Exception {
    int[] wh = pair("--size", size);
    int[] tiles = pair("--tiles", tiling);
    HeatProblem problem = new HeatProblem(wh[0], wh[1], tiles[0], tiles[1], boundary);
    Path workDir = cluster.workDir("heat");
    int depth = halo != null ? halo : Math.min(DEFAULT_HALO, Halo.deepest(problem));
    HeatRun.Plan plan = new HeatRun.Plan(HeatTileSharding.checkRunName(run), problem, depth, steps, checkpointEvery, frameEvery,
        workDir.resolve("frames"), Duration.ZERO, Duration.ZERO);
    PrintStream out = System.out;
    try (SampleCluster running = cluster.open("heat", out)) {
      Result result = run(running.system(), plan, out);
      out.println(result.summary());
    }
    return 0;
  }

  /** "WxH" as two positive numbers. */
  static int[] pair(String option, String value) {
    String[] parts = value.toLowerCase(java.util.Locale.ROOT).split("x");
    try {
      if (parts.length == 2) {
        int a = Integer.parseInt(parts[0].trim());
        int b = Integer.parseInt(parts[1].trim());
        if (a > 0 && b > 0) {
          return new int[] {a, b};
        }
      }
    } catch (NumberFormatException e) {
      // said below
    }
    throw new IllegalArgumentException(option + ": '" + value + "' is not two positive numbers like 240x160");
  }

  /**
   * What a run did.
   *
   * @param resumedFrom the step it started at (a checkpoint's, or 0)
   * @param seconds how long it ran, start-up of the cluster not counted
   */
  public record Result(HeatRun.Plan plan, HeatRun.Outcome outcome, long resumedFrom, double seconds) {

    public String summary() {
      HeatState last = outcome.last();
      long computed = last.step() - resumedFrom;
      if (computed == 0) {
        return String.format("heat: run '%s' was already at step %d, nothing to compute: give more --steps to go on,"
            + " or --run NAME to start another; final grid SHA-256 %s", plan.run(), last.step(), last.sha256());
      }
      double updates = (double) computed * last.problem().width() * last.problem().height();
      StringBuilder text = new StringBuilder();
      text.append(String.format("heat: run '%s' at step %d: %d steps computed in %.1f s (%.0f steps/s, %.1f M point updates/s)%s%n",
          plan.run(), last.step(), computed, seconds, computed / Math.max(seconds, 1e-9), updates / Math.max(seconds, 1e-9) / 1e6,
          outcome.rollbacks() > 0 ? ", " + outcome.rollbacks() + " rollbacks after lost tiles" : ""));
      text.append(String.format("heat: middle of the plate at %.3f, plate's heat %.1f; final grid SHA-256 %s%n",
          last.grid().get(last.grid().rows() / 2, last.grid().cols() / 2), HeatProblem.heat(last.grid()), last.sha256()));
      outcome.lastFrame().ifPresent(frame -> text.append(String.format("heat: %d frames written to %s (last: %s)%n",
          outcome.framesWritten(), plan.frames(), frame.getFileName())));
      text.append(String.format("heat: checkpoint at step %d; run again with --run %s and more --steps to go on", last.step(), plan.run()));
      return text.toString();
    }
  }

  /**
   * Runs {@code plan} on the cluster of {@code system} (whose node's config has the journal the
   * checkpoints go to): from the run's last checkpoint if it has one, else from step 0. Shows
   * progress on {@code out}.
   *
   * <p>{@code plan}'s seed retry and stall timeout, when zero, are read from {@code
   * tessera.samples.heat}.
   *
   * @throws IllegalArgumentException if the run's checkpoint is of another plate, or a tile does
   *     not fit in one message
   */
  public static Result run(ActorSystem<?> system, HeatRun.Plan plan, PrintStream out) throws Exception {
    var config = system.settings().config().getConfig("tessera.samples.heat");
    plan = new HeatRun.Plan(plan.run(), plan.problem(), plan.haloDepth(), plan.steps(), plan.checkpointEvery(), plan.frameEvery(), plan.frames(),
        plan.seedRetry().isZero() ? config.getDuration("seed-retry") : plan.seedRetry(),
        plan.stallTimeout().isZero() ? config.getDuration("stall-timeout") : plan.stallTimeout());
    checkTilesFitInAMessage(system, plan.problem(), plan.haloDepth());
    HeatTileSharding tiles = HeatTileSharding.init(system);
    try (Checkpoints checkpoints = Checkpoints.open(system, CHECKPOINT_PREFIX + plan.run()).toCompletableFuture()
        .get(2, TimeUnit.MINUTES)) {
      Optional<HeatState> saved = checkpoints.latest(HeatState.class).toCompletableFuture().get(2, TimeUnit.MINUTES);
      HeatState start;
      if (saved.isPresent()) {
        start = saved.get();
        if (!start.samePlate(plan.problem())) {
          HeatProblem p = start.problem();
          throw new IllegalArgumentException(String.format(
              "run '%s' has a checkpoint at step %d of a %dx%d plate with boundary %s; resume it with those, or start another with --run NAME",
              plan.run(), start.step(), p.width(), p.height(), p.boundary()));
        }
        out.printf("heat: resuming run '%s' from its checkpoint at step %d%n", plan.run(), start.step());
      } else {
        start = HeatState.initial(plan.problem());
        out.printf("heat: starting run '%s' at step 0%n", plan.run());
      }
      if (start.step() >= plan.steps()) {
        return new Result(plan, new HeatRun.Outcome(start, 0, 0, Optional.empty()), start.step(), 0);
      }
      HeatProblem p = plan.problem();
      out.printf("heat: a %dx%d plate (%s) in %dx%d tiles on the nodes with role '%s', halos %d deep, to step %d;"
          + " checkpoint every %d steps%n", p.width(), p.height(), p.boundary(), p.tilesX(), p.tilesY(), tiles.role(),
          plan.haloDepth(), plan.steps(), plan.checkpointEvery());
      out.printf("heat: frames every %s in %s%n", plan.frameEvery() > 0 ? plan.frameEvery() + " steps" : "(last step only)",
          plan.frames());

      CompletableFuture<HeatRun.Outcome> done = new CompletableFuture<>();
      AtomicReference<HeatRun.Status> status = new AtomicReference<>(new HeatRun.Status(start.step(), start.step(), 0));
      long started = System.nanoTime();
      system.systemActorOf(HeatRun.create(plan, start, saved.map(HeatState::step).orElse(0L), checkpoints, tiles, done, status),
          "tessera-heat-run-" + plan.run() + "-" + System.nanoTime(), Props.empty());
      HeatRun.Outcome outcome;
      try {
        outcome = JobProgressBar.followCount("heat", " steps", plan.steps(), () -> status.get().step(), () -> {
          HeatRun.Status now = status.get();
          return "checkpoint " + now.checkpointed() + (now.rollbacks() > 0 ? ", " + now.rollbacks() + " rollbacks" : "");
        }, done, out, Duration.ofDays(365));
      } catch (ExecutionException e) {
        throw e.getCause() instanceof Exception cause ? cause : e;
      }
      return new Result(plan, outcome, start.step(), (System.nanoTime() - started) / 1e9);
    }
  }

  /**
   * Seeds and gathered tiles travel as one message each: a tile must fit in Artery's maximum
   * frame, at about 5 bytes a point (a float in CBOR).
   */
  static void checkTilesFitInAMessage(ActorSystem<?> system, HeatProblem problem, int depth) {
    long frame = system.settings().config().getBytes("pekko.remote.artery.advanced.maximum-frame-size");
    long largest = 0;
    for (int ty = 0; ty < problem.tilesY(); ty++) {
      for (int tx = 0; tx < problem.tilesX(); tx++) {
        largest = Math.max(largest, Halo.region(problem, new Halo.TileId(tx, ty), depth).size());
      }
    }
    long bytes = largest * 5 + 1024;
    if (bytes > frame) {
      throw new IllegalArgumentException(String.format(
          "a tile of %d points needs about %d kB in one message, more than the %d kB maximum frame"
              + " (pekko.remote.artery.advanced.maximum-frame-size): use more --tiles, or raise the frame size on every node",
          largest, bytes / 1024, frame / 1024));
    }
  }
}
