package dev.tessera.samples.heat;

import dev.tessera.runtime.node.ComputeNode;
import dev.tessera.runtime.node.NodePlugin;

/**
 * Starts the heat simulation's tile sharding ({@link HeatTileSharding}) on every node that has the
 * samples on its classpath: nodes with the tile role hold tiles, the others can reach them.
 */
public final class HeatNodePlugin implements NodePlugin {

  @Override
  public void start(ComputeNode node) {
    HeatTileSharding.init(node.system());
  }
}
