package dev.tessera.samples.heat;

import dev.tessera.gpu.kernels.Matrix;
import dev.tessera.persistence.checkpoint.Checkpoints;
import dev.tessera.runtime.data.Data;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * Drives one run of the heat simulation: seeds every {@link HeatTile} with its part of the
 * starting grid, advances them stretch by stretch to the next frame or checkpoint step, gathers
 * their points there into the whole grid (each tile puts its points in its node's object store and
 * sends the ref; this actor fetches them, as they come, from the nodes that hold them), writes the
 * PNG frame, saves the checkpoint, and goes on to the last step.
 *
 * <p>Nothing is lost with a node: the last grid gathered stays here, and when a tile reports that
 * it was {@link HeatTile.Lost lost} (its node died, or sharding moved it) or no tile has answered
 * for the stall timeout, every tile is seeded again from that grid, with a new epoch, and the
 * stretch is computed again. The result is the same, bit for bit: each step is a pure function of
 * the one before.
 *
 * <p>A checkpoint is saved at every multiple of {@link Plan#checkpointEvery} and at the last step;
 * the stretches go on while it is written. The run ends once the last step's checkpoint is
 * durable.
 *
 * <p>Threading: an actor; {@code done} is completed from its thread, {@code status} is written
 * there and may be read from any thread.
 */
public final class HeatRun extends AbstractBehavior<HeatRun.Command> {

  /**
   * What to run.
   *
   * @param run the run's name: its tiles' entity ids and its checkpoints' id start with it
   * @param problem the plate and its tiling
   * @param haloDepth the depth of the tiles' halos: steps computed between two exchanges ({@link Halo})
   * @param steps the step to reach
   * @param checkpointEvery save a checkpoint at every multiple of this
   * @param frameEvery write a PNG frame at every multiple of this (and of the last step); 0 for none
   * @param frames the folder of the frames
   */
  public record Plan(String run, HeatProblem problem, int haloDepth, long steps, long checkpointEvery, long frameEvery,
      Path frames, Duration seedRetry, Duration stallTimeout) {
    public Plan {
      HeatTileSharding.checkRunName(run);
      Objects.requireNonNull(problem, "problem");
      Halo.checkDepth(problem, haloDepth);
      Objects.requireNonNull(frames, "frames");
      if (steps < 0 || checkpointEvery < 1 || frameEvery < 0) {
        throw new IllegalArgumentException("steps must be >= 0, checkpoint-every >= 1 and frame-every >= 0");
      }
    }

    /** The step after {@code step} at which the tiles stop to be gathered: a frame, a checkpoint or the end. */
    long nextStop(long step) {
      long next = Math.min(steps, (step / checkpointEvery + 1) * checkpointEvery);
      if (frameEvery > 0) {
        next = Math.min(next, (step / frameEvery + 1) * frameEvery);
      }
      return next;
    }

    /** {@code <run>-<step>.png}: runs of other names may share the folder without overwriting each other. */
    Path frameFile(long step) {
      int digits = Math.max(6, Long.toString(steps).length());
      return frames.resolve(String.format("%s-%0" + digits + "d.png", run, step));
    }
  }

  /** Where a run stands, for a progress bar: the step last gathered and the last checkpoint's. */
  public record Status(long step, long checkpointed, int rollbacks) {}

  /**
   * How a run ended.
   *
   * @param last the grid at the plan's last step
   * @param rollbacks how many times the tiles were seeded again after a loss
   * @param lastFrame the last frame written, if any
   */
  public record Outcome(HeatState last, int rollbacks, int framesWritten, Optional<Path> lastFrame) {}

  sealed interface Command permits FromTile, TileRead, Saved, SaveFailed, Tick {}

  private record FromTile(HeatTile.Report report) implements Command {}

  /** A tile's points, read from its node's store: {@code tile}, or why not ({@code error}). */
  private record TileRead(HeatTile.Reached reached, Matrix tile, Throwable error) implements Command {}

  private record Saved(long step) implements Command {}

  private record SaveFailed(long step, Throwable cause) implements Command {}

  private enum Tick implements Command { INSTANCE }

  private static final Duration TICK = Duration.ofMillis(500);
  /**
   * Rollbacks in a row without a stretch gathered in between, after which the run fails: tiles
   * lost again and again from the same step mean something other than a node dying (a kernel that
   * throws on some tile, say), and the run says so instead of trying for ever.
   */
  static final int MAX_ROLLBACKS_WITHOUT_PROGRESS = 5;
  /** The frames' colour scale: every boundary the samples use stays within [0, HOT]. */
  private static final float COLDEST = 0f;

  private final Plan plan;
  private final Checkpoints checkpoints;
  private final HeatTileSharding tiles;
  private final CompletableFuture<Outcome> done;
  private final AtomicReference<Status> status;
  private final ActorRef<HeatTile.Report> reports;
  private final int frameScale;

  /** The last grid gathered: where a rollback starts from. */
  private HeatState gathered;
  private long epoch;
  private boolean seeding;
  private long stop;
  private final Set<Halo.TileId> unconfirmed = new HashSet<>();
  private final Map<Halo.TileId, Matrix> reached = new HashMap<>();
  private long lastHeard;
  private long seedsSent;
  private long checkpointed;
  private int rollbacks;
  private int rollbacksSinceProgress;
  private int framesWritten;
  private Path lastFrame;
  private boolean finished;

  private HeatRun(ActorContext<Command> context, Plan plan, HeatState start, long checkpointed, Checkpoints checkpoints,
      HeatTileSharding tiles, CompletableFuture<Outcome> done, AtomicReference<Status> status) {
    super(context);
    context.setLoggerName(HeatRun.class);
    this.plan = plan;
    this.gathered = start;
    this.checkpointed = checkpointed;
    this.checkpoints = checkpoints;
    this.tiles = tiles;
    this.done = done;
    this.status = status;
    this.reports = context.messageAdapter(HeatTile.Report.class, FromTile::new);
    this.frameScale = Math.max(1, 640 / start.grid().cols());
    status.set(new Status(start.step(), checkpointed, 0));
  }

  /**
   * Runs {@code plan} from {@code start} (step 0, or a checkpoint).
   *
   * @param checkpointed the step of the checkpoint {@code start} came from (0 if none)
   * @param done completed with the outcome, or with the error that ended the run
   * @param status kept up to date for progress displays
   */
  public static Behavior<Command> create(Plan plan, HeatState start, long checkpointed, Checkpoints checkpoints,
      HeatTileSharding tiles, CompletableFuture<Outcome> done, AtomicReference<Status> status) {
    if (!start.samePlate(plan.problem())) {
      throw new IllegalArgumentException("the start state is of another plate than the plan's");
    }
    return Behaviors.setup(context -> Behaviors.withTimers((TimerScheduler<Command> timers) -> {
      timers.startTimerWithFixedDelay(Tick.INSTANCE, TICK);
      HeatRun run = new HeatRun(context, plan, start, checkpointed, checkpoints, tiles, done, status);
      return run.begin();
    }));
  }

  private Behavior<Command> begin() {
    if (gathered.step() >= plan.steps()) {
      finished = true;
      done.complete(new Outcome(gathered, 0, 0, Optional.empty()));
      return Behaviors.stopped();
    }
    seedAll();
    return this;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(FromTile.class, from -> onReport(from.report()))
        .onMessage(TileRead.class, this::onTileRead)
        .onMessage(Saved.class, this::onSaved)
        .onMessage(SaveFailed.class, failed -> fail(new IllegalStateException(
            "the checkpoint of step " + failed.step() + " could not be saved: " + failed.cause().getMessage(), failed.cause())))
        .onMessage(Tick.class, tick -> onTick())
        .build();
  }

  /** Seeds every tile from the last grid gathered, in a new epoch. */
  private void seedAll() {
    long previous = epoch;
    do {
      epoch = ThreadLocalRandom.current().nextLong();
    } while (epoch == previous || epoch == 0);
    seeding = true;
    reached.clear();
    unconfirmed.clear();
    for (int ty = 0; ty < plan.problem().tilesY(); ty++) {
      for (int tx = 0; tx < plan.problem().tilesX(); tx++) {
        unconfirmed.add(new Halo.TileId(tx, ty));
      }
    }
    sendSeeds();
    lastHeard = System.nanoTime();
  }

  private void sendSeeds() {
    for (Halo.TileId id : unconfirmed) {
      tiles.tile(plan.run(), id.tx(), id.ty()).ref().tell(new HeatTile.Seed(epoch, plan.problem(), id.tx(), id.ty(),
          plan.haloDepth(), gathered.step(), Halo.tileOf(plan.problem(), gathered.grid(), id, plan.haloDepth()), reports));
    }
    seedsSent = System.nanoTime();
  }

  private void advanceAll() {
    stop = plan.nextStop(gathered.step());
    reached.clear();
    for (int ty = 0; ty < plan.problem().tilesY(); ty++) {
      for (int tx = 0; tx < plan.problem().tilesX(); tx++) {
        tiles.tile(plan.run(), tx, ty).ref().tell(new HeatTile.Advance(epoch, stop, reports));
      }
    }
  }

  private Behavior<Command> onReport(HeatTile.Report report) {
    if (finished) {
      return this;
    }
    if (report instanceof HeatTile.Seeded seeded) {
      if (seeded.epoch() == epoch && seeding) {
        lastHeard = System.nanoTime();
        unconfirmed.remove(new Halo.TileId(seeded.tx(), seeded.ty()));
        if (unconfirmed.isEmpty()) {
          seeding = false;
          advanceAll();
        }
      }
    } else if (report instanceof HeatTile.Reached r) {
      if (r.epoch() == epoch && !seeding && r.step() == stop) {
        lastHeard = System.nanoTime();
        getContext().pipeToSelf(Data.getValue(getContext().getSystem(), r.tile(), Matrix.class),
            (tile, error) -> new TileRead(r, tile, error));
      }
    } else if (report instanceof HeatTile.Lost lost && lost.epoch() == epoch) {
      return rollBack("tile " + lost.entityId() + " lost its points (" + lost.reason() + "; its node left, or it moved)");
    }
    return this;
  }

  private Behavior<Command> onTileRead(TileRead read) {
    HeatTile.Reached r = read.reached();
    if (finished || r.epoch() != epoch || seeding || r.step() != stop) {
      return this; // a read that a rollback overtook
    }
    if (read.error() != null) {
      return rollBack("the points of tile (" + r.tx() + ", " + r.ty() + ") at step " + r.step() + " could not be read ("
          + read.error().getMessage() + "; its node left?)");
    }
    lastHeard = System.nanoTime();
    reached.put(new Halo.TileId(r.tx(), r.ty()), read.tile());
    return reached.size() == plan.problem().tilesX() * plan.problem().tilesY() ? onGathered() : this;
  }

  private Behavior<Command> onGathered() {
    float[] values = gathered.grid().values().clone();
    reached.forEach((id, tile) -> Halo.placeTile(plan.problem(), values, id, tile, plan.haloDepth()));
    gathered = new HeatState(plan.problem(), stop, new Matrix(gathered.grid().rows(), gathered.grid().cols(), values));
    reached.clear();
    rollbacksSinceProgress = 0;
    long step = gathered.step();
    boolean last = step == plan.steps();
    if (last || (plan.frameEvery() > 0 && step % plan.frameEvery() == 0)) {
      Path file = plan.frameFile(step);
      try {
        HeatMapImage.write(gathered.grid(), COLDEST, HeatProblem.HOT, frameScale, file);
        framesWritten++;
        lastFrame = file;
      } catch (IOException e) {
        return fail(new IllegalStateException("could not write the frame " + file + ": " + e.getMessage(), e));
      }
    }
    if (last || step % plan.checkpointEvery() == 0) {
      save(gathered);
    }
    status.set(new Status(step, checkpointed, rollbacks));
    if (last) {
      return finishIfSaved();
    }
    advanceAll();
    return this;
  }

  private void save(HeatState state) {
    getContext().pipeToSelf(checkpoints.save(state.step(), state),
        (ok, error) -> error == null ? new Saved(state.step()) : new SaveFailed(state.step(), error));
  }

  private Behavior<Command> onSaved(Saved saved) {
    checkpointed = Math.max(checkpointed, saved.step());
    getContext().getLog().info("run {}: checkpoint at step {} saved", plan.run(), saved.step());
    status.set(new Status(gathered.step(), checkpointed, rollbacks));
    return gathered.step() == plan.steps() ? finishIfSaved() : this;
  }

  private Behavior<Command> finishIfSaved() {
    if (checkpointed < plan.steps()) {
      return this; // the last checkpoint is still being written
    }
    finished = true;
    release();
    done.complete(new Outcome(gathered, rollbacks, framesWritten, Optional.ofNullable(lastFrame)));
    return Behaviors.stopped();
  }

  private Behavior<Command> onTick() {
    if (finished || gathered.step() == plan.steps()) {
      return this;
    }
    long now = System.nanoTime();
    if (now - lastHeard > plan.stallTimeout().toNanos()) {
      return rollBack(String.format("no tile has answered for %.1f s", plan.stallTimeout().toMillis() / 1000.0));
    } else if (seeding && now - seedsSent > plan.seedRetry().toNanos()) {
      getContext().getLog().info("run {}: {} tiles have not confirmed their seed yet; sending it again", plan.run(),
          unconfirmed.size());
      sendSeeds();
    }
    return this;
  }

  private Behavior<Command> rollBack(String why) {
    rollbacks++;
    rollbacksSinceProgress++;
    if (rollbacksSinceProgress > MAX_ROLLBACKS_WITHOUT_PROGRESS) {
      return fail(new IllegalStateException(String.format("run %s: %d rollbacks from step %d without getting further;"
          + " the last: %s (the node logs say why tiles failed; the checkpoint at step %d is kept)", plan.run(),
          MAX_ROLLBACKS_WITHOUT_PROGRESS, gathered.step(), why, checkpointed)));
    }
    getContext().getLog().warn("run {}: {}: every tile starts again from step {} (rollback {})", plan.run(), why,
        gathered.step(), rollbacks);
    status.set(new Status(gathered.step(), checkpointed, rollbacks));
    seedAll();
    return this;
  }

  private Behavior<Command> fail(RuntimeException error) {
    finished = true;
    release();
    done.completeExceptionally(error);
    return Behaviors.stopped();
  }

  /** The run is over: the tiles free their memory (a tile that misses this is passivated when idle). */
  private void release() {
    for (int ty = 0; ty < plan.problem().tilesY(); ty++) {
      for (int tx = 0; tx < plan.problem().tilesX(); tx++) {
        tiles.tile(plan.run(), tx, ty).ref().tell(new HeatTile.Release(epoch));
      }
    }
  }
}
