package dev.tessera.samples.heat;

import java.util.Objects;
import java.util.regex.Pattern;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;

/**
 * The heat simulation's tiles as sharded entities: tile (tx, ty) of run {@code run} is the entity
 * {@code run/tx/ty} of {@link HeatTile#TYPE_KEY}, placed by Pekko Cluster Sharding on the nodes
 * with role {@code tessera.samples.heat.tile-role} ({@code worker} by default). On a node without
 * that role (a sample's client node) {@link #init} starts only a proxy: it sends to tiles, it
 * holds none.
 *
 * <p>Every node that has the samples on its classpath starts this through {@link
 * HeatNodePlugin}, so {@code bin/tessera node} needs nothing more to hold tiles.
 *
 * <p>Thread safety: immutable; use from any thread.
 */
public final class HeatTileSharding {

  private static final Pattern RUN_NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  private final ClusterSharding sharding;
  private final String role;

  private HeatTileSharding(ClusterSharding sharding, String role) {
    this.sharding = sharding;
    this.role = role;
  }

  /** Starts the tiles' sharding on this node (again is harmless: the same region is used). */
  public static HeatTileSharding init(ActorSystem<?> system) {
    String role = system.settings().config().getString("tessera.samples.heat.tile-role");
    HeatTileSharding tiles = new HeatTileSharding(ClusterSharding.get(system), role);
    var entity = Entity.of(HeatTile.TYPE_KEY, ctx -> HeatTile.create(ctx.getEntityId(), tiles));
    if (!role.isEmpty()) {
      entity = entity.withRole(role);
    }
    tiles.sharding.init(entity);
    return tiles;
  }

  /** The role of the nodes that hold tiles; empty for every node. */
  public String role() {
    return role;
  }

  /**
   * Checks a run's name: it becomes part of entity ids and of the checkpoint's id.
   *
   * @throws IllegalArgumentException if it is not 1 to 64 letters, digits, '.', '_' or '-'
   */
  public static String checkRunName(String run) {
    if (run == null || !RUN_NAME.matcher(run).matches()) {
      throw new IllegalArgumentException("--run: '" + run + "' is not a run name (1 to 64 letters, digits, '.', '_', '-')");
    }
    return run;
  }

  /** Tile (tx, ty) of {@code run}. */
  public TileRef tile(String run, int tx, int ty) {
    checkRunName(run);
    return new TileRef(run, tx, ty, sharding.entityRefFor(HeatTile.TYPE_KEY, run + "/" + tx + "/" + ty));
  }

  /** The tile an entity id names. */
  TileRef parse(String entityId) {
    String[] parts = entityId.split("/");
    if (parts.length != 3) {
      throw new IllegalArgumentException("not a heat tile's entity id: " + entityId);
    }
    return tile(parts[0], Integer.parseInt(parts[1]), Integer.parseInt(parts[2]));
  }

  /** A tile and the way to send to it. */
  public final class TileRef {
    private final String run;
    private final int tx;
    private final int ty;
    private final EntityRef<HeatTile.Command> ref;

    private TileRef(String run, int tx, int ty, EntityRef<HeatTile.Command> ref) {
      this.run = run;
      this.tx = tx;
      this.ty = ty;
      this.ref = Objects.requireNonNull(ref);
    }

    public int tx() {
      return tx;
    }

    public int ty() {
      return ty;
    }

    public EntityRef<HeatTile.Command> ref() {
      return ref;
    }

    /** Another tile of the same run. */
    public TileRef at(Halo.TileId id) {
      return tile(run, id.tx(), id.ty());
    }
  }
}
