package dev.tessera.samples.heat;

import dev.tessera.runtime.node.ComputeNode;
import dev.tessera.runtime.node.NodeExtension;

/**
 * Starts the heat simulation's tile sharding ({@link HeatTileSharding}) on every node that has the
 * samples on its classpath: nodes with the tile role hold tiles, the others can reach them.
 */
public final class HeatNodeExtension implements NodeExtension {

  @Override
  public void start(ComputeNode node) {
    HeatTileSharding.init(node.system());
  }
}
