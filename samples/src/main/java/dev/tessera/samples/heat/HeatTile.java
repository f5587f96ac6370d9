package dev.tessera.samples.heat;

import dev.tessera.gpu.GpuKernels;
import dev.tessera.gpu.kernels.Kernels;
import dev.tessera.gpu.kernels.Matrix;
import dev.tessera.runtime.data.Data;
import dev.tessera.runtime.data.DataRef;
import dev.tessera.runtime.serialization.CborSerializable;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * One tile of a heat simulation's plate, a sharded entity (id {@code run/tx/ty}, see {@link
 * HeatTileSharding}): it holds its points and a halo of its neighbours' ({@link Halo}), computes
 * as many steps as its halo is deep (through the node's {@link Kernels}, on a GPU where the node
 * has one), sends its interior's edges to its neighbours (up to eight), and goes on once it holds
 * every neighbour's edges of the step it is at.
 *
 * <p>The driver ({@link HeatRun}) seeds every tile with its part of a grid ({@link Seed}), then asks
 * them to {@link Advance} to a step; each tile puts its points there in its node's object store and
 * replies {@link Reached} with the ref, and the driver fetches them, straight from the tile's node.
 * A tile keeps only its last such object: it frees it when it reports the next step (the driver
 * asks for the next only once it has read every tile's) and when it stops.
 * Every message carries the driver's <em>epoch</em> (a new one at each seeding): a tile ignores
 * anything from another epoch, so edges still in flight from before a restart never mix with the
 * new ones.
 *
 * <p>A tile's state lives only in memory. When its node dies (or sharding moves it), the tile
 * starts again elsewhere, empty: the first {@link Edge} or {@link Advance} it receives then is
 * answered with {@link Lost} to the driver, which seeds every tile again from the last grid it
 * gathered. A tile waiting for an edge re-sends its own edges to the neighbours it waits on every
 * {@link #NUDGE_INTERVAL}, so that a neighbour that was lost hears from someone and reports it.
 *
 * <p>Threading: an actor; the kernel call runs on its thread (a tile is small).
 */
public final class HeatTile extends AbstractBehavior<HeatTile.Command> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "tessera-heat-tile");

  /** How long a tile waits for a neighbour's edge before sending it its own again. */
  static final Duration NUDGE_INTERVAL = Duration.ofSeconds(2);

  public sealed interface Command extends CborSerializable permits Seed, Advance, Edge, Release, Nudge {}

  /**
   * Sets the tile to {@code tile} (the points of {@link Halo#region} with a halo of {@code depth})
   * at {@code step}, for {@code epoch}. Replies {@link Seeded}.
   */
  public record Seed(long epoch, HeatProblem problem, int tx, int ty, int depth, long step, Matrix tile,
      ActorRef<Report> driver) implements Command {}

  /** Steps on until {@code toStep}, then replies {@link Reached}. */
  public record Advance(long epoch, long toStep, ActorRef<Report> driver) implements Command {}

  /** Tile (fromTx, fromTy)'s points at {@code step} that lie in this tile's halo ({@link Halo#sent}). */
  public record Edge(long epoch, long step, int fromTx, int fromTy, float[] points, ActorRef<Report> driver)
      implements Command {}

  /** The run is over: the tile stops and frees its memory. */
  public record Release(long epoch) implements Command {}

  /** Its own timer: still waiting for an edge at {@code step}? */
  record Nudge(long epoch, long step) implements Command {}

  /** What tiles tell the driver. */
  public sealed interface Report extends CborSerializable permits Seeded, Reached, Lost {}

  public record Seeded(long epoch, int tx, int ty) implements Report {}

  /** Tile (tx, ty) at {@code step}: its points and halo, in its node's object store. */
  public record Reached(long epoch, int tx, int ty, long step, DataRef<Matrix> tile) implements Report {}

  /** The tile {@code entityId} was asked to go on in {@code epoch} but holds nothing (it was restarted or moved). */
  public record Lost(long epoch, String entityId, String reason) implements Report {}

  /** A neighbour: where to send, what to send it, and where what it sends goes. */
  private record Neighbour(HeatTileSharding.TileRef ref, Halo.Rect toSend, Halo.Rect toReceive) {}

  private final String entityId;
  private final HeatTileSharding tiles;
  private final Kernels kernels;
  private final TimerScheduler<Command> timers;

  // Set by a Seed; a tile without one holds nothing.
  private Seed seed;
  private Halo.Rect region;
  private Matrix tile;
  private long step;
  private long target;
  /** Whether the driver has been told the tile reached {@link #target}. */
  private boolean reported;
  /** The step the nudge timer was started for. */
  private long nudgeFor = -1;
  private Map<Halo.TileId, Neighbour> neighbours = Map.of();
  /** Neighbours whose edges at {@link #step} are in the halo. */
  private final Set<Halo.TileId> received = new HashSet<>();
  /** Edges for later steps than {@link #step} (a neighbour is at most one exchange ahead). */
  private final TreeMap<Long, Map<Halo.TileId, float[]>> early = new TreeMap<>();
  /** The points this tile last put in the store for the driver, until it puts the next. */
  private DataRef<Matrix> reachedPut;

  private HeatTile(ActorContext<Command> context, TimerScheduler<Command> timers, String entityId,
      HeatTileSharding tiles, Kernels kernels) {
    super(context);
    context.setLoggerName(HeatTile.class);
    this.timers = timers;
    this.entityId = entityId;
    this.tiles = tiles;
    this.kernels = kernels;
  }

  public static Behavior<Command> create(String entityId, HeatTileSharding tiles) {
    Objects.requireNonNull(entityId, "entityId");
    return Behaviors.setup(context -> Behaviors.withTimers(timers ->
        new HeatTile(context, timers, entityId, tiles, GpuKernels.get(context.getSystem()).kernels())));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Seed.class, this::onSeed)
        .onMessage(Advance.class, this::onAdvance)
        .onMessage(Edge.class, this::onEdge)
        .onMessage(Nudge.class, this::onNudge)
        .onMessage(Release.class, release -> seed != null && release.epoch() != seed.epoch() ? this : Behaviors.stopped())
        .onSignal(PostStop.class, stopped -> {
          releaseReached();
          return this;
        })
        .build();
  }

  private Behavior<Command> onSeed(Seed s) {
    HeatTileSharding.TileRef self = tiles.parse(entityId);
    Halo.TileId id = new Halo.TileId(s.tx(), s.ty());
    Halo.Rect expected;
    try {
      if (self.tx() != s.tx() || self.ty() != s.ty()) {
        throw new IllegalArgumentException("it is the seed of tile (" + s.tx() + ", " + s.ty() + ")");
      }
      expected = Halo.region(s.problem(), id, s.depth());
      if (s.tile().rows() != expected.rows() || s.tile().cols() != expected.cols()) {
        throw new IllegalArgumentException(s.tile().rows() + " x " + s.tile().cols() + " points, expected "
            + expected.rows() + " x " + expected.cols());
      }
    } catch (IllegalArgumentException e) {
      getContext().getLog().error("tile {}: a seed that does not fit, ignored: {}", entityId, e.getMessage());
      return this;
    }
    seed = s;
    region = expected;
    tile = s.tile();
    step = s.step();
    target = s.step();
    reported = true;
    nudgeFor = -1;
    early.clear();
    Map<Halo.TileId, Neighbour> found = new HashMap<>();
    for (Halo.TileId n : Halo.neighbours(s.problem(), id)) {
      found.put(n, new Neighbour(self.at(n), Halo.sent(s.problem(), id, n, s.depth()), Halo.sent(s.problem(), n, id, s.depth())));
    }
    neighbours = found;
    received.clear();
    received.addAll(found.keySet()); // the seed's halo is the grid's, at this step
    timers.cancelAll();
    s.driver().tell(new Seeded(s.epoch(), s.tx(), s.ty()));
    return this;
  }

  private Behavior<Command> onAdvance(Advance advance) {
    if (seed == null || seed.epoch() != advance.epoch()) {
      return lost(advance.epoch(), advance.driver(), seed == null ? "it holds no points" : "it was seeded by another run");
    }
    if (advance.toStep() < step) {
      getContext().getLog().warn("tile {}: asked to advance to step {}, it is at {}; ignored", entityId, advance.toStep(), step);
      return this;
    }
    target = advance.toStep();
    reported = false;
    stepWhileReady();
    return this;
  }

  private Behavior<Command> onEdge(Edge edge) {
    if (seed == null) {
      return lost(edge.epoch(), edge.driver(), "it holds no points");
    }
    if (edge.epoch() != seed.epoch() || edge.step() < step) {
      return this; // from before a re-seed, or a nudge this tile no longer needs
    }
    Halo.TileId from = new Halo.TileId(edge.fromTx(), edge.fromTy());
    if (edge.step() == step) {
      accept(from, edge.points());
    } else {
      early.computeIfAbsent(edge.step(), s -> new HashMap<>()).put(from, edge.points());
    }
    stepWhileReady();
    return this;
  }

  private Behavior<Command> onNudge(Nudge nudge) {
    if (seed == null || nudge.epoch() != seed.epoch() || nudge.step() != step || step >= target) {
      return this;
    }
    neighbours.forEach((id, n) -> {
      if (!received.contains(id)) {
        send(n);
      }
    });
    timers.startSingleTimer(Nudge.class, nudge, NUDGE_INTERVAL);
    return this;
  }

  /** An empty tile was asked to go on: tell the driver, and stop (there is nothing to keep). */
  private Behavior<Command> lost(long epoch, ActorRef<Report> driver, String reason) {
    driver.tell(new Lost(epoch, entityId, reason));
    return seed == null ? Behaviors.stopped() : this;
  }

  private void accept(Halo.TileId from, float[] points) {
    Neighbour n = neighbours.get(from);
    if (n == null || received.contains(from)) {
      return; // not a neighbour, or a duplicate (a nudge answered twice)
    }
    try {
      tile = Halo.paste(tile, region, n.toReceive(), points);
      received.add(from);
    } catch (IllegalArgumentException e) {
      getContext().getLog().error("tile {}: the edge of tile {} at step {} does not fit: {}", entityId, from, step, e.getMessage());
    }
  }

  private void stepWhileReady() {
    while (step < target && received.size() == neighbours.size()) {
      int steps = (int) Math.min(seed.depth(), target - step);
      tile = kernels.jacobi(tile, steps);
      step += steps;
      received.clear();
      neighbours.values().forEach(this::send);
      Map<Halo.TileId, float[]> waiting = early.remove(step);
      if (waiting != null) {
        waiting.forEach(this::accept);
      }
    }
    if (step == target) {
      timers.cancelAll();
      nudgeFor = -1;
      if (!reported) {
        releaseReached();
        reachedPut = Data.putValue(getContext().getSystem(), tile);
        seed.driver().tell(new Reached(seed.epoch(), seed.tx(), seed.ty(), step, reachedPut));
        reported = true;
      }
    } else if (nudgeFor != step) {
      nudgeFor = step;
      timers.startSingleTimer(Nudge.class, new Nudge(seed.epoch(), step), NUDGE_INTERVAL);
    }
  }

  private void releaseReached() {
    if (reachedPut != null) {
      Data.release(getContext().getSystem(), reachedPut);
      reachedPut = null;
    }
  }

  private void send(Neighbour n) {
    n.ref().ref().tell(new Edge(seed.epoch(), step, seed.tx(), seed.ty(), Halo.cut(tile, region, n.toSend()), seed.driver()));
  }
}
