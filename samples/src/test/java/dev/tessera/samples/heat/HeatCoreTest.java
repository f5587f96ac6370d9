package dev.tessera.samples.heat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tessera.gpu.kernels.CpuBackend;
import dev.tessera.gpu.kernels.Matrix;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The simulation's arithmetic without the cluster: tiles, halos, known steady states, frames. */
class HeatCoreTest {

  private final CpuBackend cpu = CpuBackend.create();

  /**
   * Steps every tile of {@code problem} {@code steps} times, {@code depth} steps between two
   * exchanges of their edges, as the tile entities do.
   */
  private Matrix tiled(HeatProblem problem, int steps, int depth) {
    Matrix grid = problem.initialGrid();
    Map<Halo.TileId, Matrix> tiles = new HashMap<>();
    for (int ty = 0; ty < problem.tilesY(); ty++) {
      for (int tx = 0; tx < problem.tilesX(); tx++) {
        Halo.TileId id = new Halo.TileId(tx, ty);
        tiles.put(id, Halo.tileOf(problem, grid, id, depth));
      }
    }
    for (int step = 0; step < steps; ) {
      int round = Math.min(depth, steps - step);
      Map<Halo.TileId, Matrix> computed = new HashMap<>();
      tiles.forEach((id, tile) -> computed.put(id, cpu.jacobi(tile, round)));
      step += round;
      Map<Halo.TileId, Matrix> exchanged = new HashMap<>();
      for (Map.Entry<Halo.TileId, Matrix> entry : computed.entrySet()) {
        Halo.TileId id = entry.getKey();
        Matrix tile = entry.getValue();
        for (Halo.TileId n : Halo.neighbours(problem, id)) {
          float[] edge = Halo.cut(computed.get(n), Halo.region(problem, n, depth), Halo.sent(problem, n, id, depth));
          tile = Halo.paste(tile, Halo.region(problem, id, depth), Halo.sent(problem, n, id, depth), edge);
        }
        exchanged.put(id, tile);
      }
      tiles = exchanged;
    }
    float[] values = grid.values().clone();
    tiles.forEach((id, tile) -> Halo.placeTile(problem, values, id, tile, depth));
    return new Matrix(grid.rows(), grid.cols(), values);
  }

  @Test
  void tilesExchangingHalosComputeExactlyWhatTheWholePlateDoesAtAnyHaloDepth() {
    // Uneven sizes: tiles of 12 and 13 columns, 7 and 8 rows.
    HeatProblem problem = new HeatProblem(37, 23, 3, 3, HeatProblem.Boundary.HOT_TOP_EDGE);
    Matrix whole = cpu.jacobi(problem.initialGrid(), 61);
    assertThat(Halo.deepest(problem)).isEqualTo(7);
    for (int depth : new int[] {1, 2, 5, 7}) {
      assertThat(tiled(problem, 61, depth)).as("halo depth %d", depth).isEqualTo(whole); // bit for bit
    }
    assertThat(HeatProblem.heat(whole)).isGreaterThan(0);
  }

  @Test
  void aHaloMustLieWithinTheNeighbouringTiles() {
    HeatProblem problem = new HeatProblem(37, 23, 3, 3, HeatProblem.Boundary.HOT_TOP_EDGE);
    assertThatThrownBy(() -> Halo.region(problem, new Halo.TileId(0, 0), 8))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must be 1 to 7");
    assertThatThrownBy(() -> Halo.region(problem, new Halo.TileId(0, 0), 0)).isInstanceOf(IllegalArgumentException.class);
    // A corner tile holds its interior, one point of boundary on the plate's sides, the halo on the others.
    assertThat(Halo.region(problem, new Halo.TileId(0, 0), 3)).isEqualTo(new Halo.Rect(0, 0, 7 + 1 + 3, 12 + 1 + 3));
    assertThat(Halo.neighbours(problem, new Halo.TileId(1, 1))).hasSize(8);
    assertThat(Halo.neighbours(problem, new Halo.TileId(0, 2))).hasSize(3);
  }

  @Test
  void aSquarePlateWithOneHotEdgeSettlesAtAQuarterOfItInTheMiddle() {
    // By symmetry: the four plates with one hot edge each add up to a plate at HOT everywhere.
    HeatProblem problem = new HeatProblem(21, 21, 1, 1, HeatProblem.Boundary.HOT_TOP_EDGE);
    Matrix steady = cpu.jacobi(problem.initialGrid(), 3_000);
    assertThat(steady.get(11, 11)).isCloseTo(HeatProblem.HOT / 4, org.assertj.core.data.Offset.offset(1e-3f));
  }

  @Test
  void aLinearBoundarySettlesIntoTheSameLinearRampEverywhere() {
    HeatProblem problem = new HeatProblem(20, 15, 2, 2, HeatProblem.Boundary.LINEAR_IN_X);
    Matrix steady = tiled(problem, 2_500, 4);
    for (int r = 0; r < steady.rows(); r++) {
      for (int c = 0; c < steady.cols(); c++) {
        assertThat(steady.get(r, c)).as("point (%d, %d)", r, c)
            .isCloseTo(HeatProblem.HOT * c / 21, org.assertj.core.data.Offset.offset(1e-3f));
      }
    }
  }

  @Test
  void heatOnlyFlowsInFromTheHotEdge() {
    HeatProblem problem = new HeatProblem(30, 30, 1, 1, HeatProblem.Boundary.HOT_TOP_EDGE);
    Matrix grid = problem.initialGrid();
    double before = HeatProblem.heat(grid);
    for (int i = 0; i < 20; i++) {
      grid = cpu.jacobi(grid, 10);
      double now = HeatProblem.heat(grid);
      assertThat(now).isGreaterThan(before);
      before = now;
    }
    assertThat(grid.get(30, 15)).isLessThan(grid.get(1, 15)); // far from the hot edge: colder
  }

  @Test
  void aHaloOfTheWrongLengthIsRefused() {
    Matrix tile = Matrix.zeros(5, 7);
    Halo.Rect at = new Halo.Rect(10, 20, 5, 7);
    assertThatThrownBy(() -> Halo.paste(tile, at, new Halo.Rect(10, 21, 1, 5), new float[3]))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1 x 5 points expected, got 3");
    assertThatThrownBy(() -> Halo.paste(tile, at, new Halo.Rect(9, 21, 1, 5), new float[5]))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is not within");
    assertThatThrownBy(() -> new HeatProblem(4, 4, 5, 1, HeatProblem.Boundary.HOT_TOP_EDGE))
        .hasMessageContaining("do not fit");
  }

  @Test
  void framesAreHeatMapsColdDarkHotBright(@TempDir Path dir) throws IOException {
    HeatProblem problem = new HeatProblem(8, 6, 1, 1, HeatProblem.Boundary.HOT_TOP_EDGE);
    Path png = dir.resolve("frames/frame-0.png");
    HeatMapImage.write(problem.initialGrid(), 0, HeatProblem.HOT, 3, png);
    BufferedImage image = ImageIO.read(png.toFile());
    assertThat(image.getWidth()).isEqualTo(10 * 3);
    assertThat(image.getHeight()).isEqualTo(8 * 3);
    assertThat(image.getRGB(4 * 3, 0) & 0xFFFFFF).isEqualTo(HeatMapImage.colour(1)); // hot edge
    assertThat(image.getRGB(4 * 3, 4 * 3) & 0xFFFFFF).isEqualTo(HeatMapImage.colour(0)); // cold interior
    int dark = HeatMapImage.colour(0.1);
    int bright = HeatMapImage.colour(0.9);
    assertThat(brightness(bright)).isGreaterThan(brightness(dark));
  }

  private static int brightness(int rgb) {
    return (rgb >> 16 & 0xFF) + (rgb >> 8 & 0xFF) + (rgb & 0xFF);
  }
}
