package dev.tessera.samples.heat;

import dev.tessera.gpu.kernels.Matrix;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * Writes a grid as a PNG heat map: one pixel per point (scaled up for small grids), cold black
 * through purple, red and orange to hot pale yellow, like matplotlib's "inferno", so a frame reads
 * at a glance and in grey print alike (brightness rises with temperature).
 */
public final class HeatMapImage {

  /** Colour stops from cold (0) to hot (1), as RGB. */
  private static final int[][] STOPS = {
    {0, 0, 4}, {40, 11, 84}, {101, 21, 110}, {159, 42, 99}, {212, 72, 66}, {245, 125, 21}, {250, 193, 39}, {252, 255, 164}
  };

  private HeatMapImage() {}

  /** The colour of {@code t} in [0, 1] (clamped), as 0xRRGGBB. */
  public static int colour(double t) {
    double x = Math.max(0, Math.min(1, Double.isNaN(t) ? 0 : t)) * (STOPS.length - 1);
    int i = Math.min((int) x, STOPS.length - 2);
    double f = x - i;
    int rgb = 0;
    for (int channel = 0; channel < 3; channel++) {
      int value = (int) Math.round(STOPS[i][channel] + f * (STOPS[i + 1][channel] - STOPS[i][channel]));
      rgb = (rgb << 8) | value;
    }
    return rgb;
  }

  /**
   * Writes {@code grid} to {@code file}, temperatures {@code min..max} over the colour scale, each
   * point {@code scale x scale} pixels.
   */
  public static void write(Matrix grid, float min, float max, int scale, Path file) throws IOException {
    if (scale < 1 || (long) grid.cols() * scale * grid.rows() * scale > 64L * 1024 * 1024) {
      throw new IllegalArgumentException("scale " + scale + " makes a " + grid.cols() * scale + " x " + grid.rows() * scale
          + " image: too large");
    }
    BufferedImage image = new BufferedImage(grid.cols() * scale, grid.rows() * scale, BufferedImage.TYPE_INT_RGB);
    double span = max > min ? max - min : 1;
    for (int r = 0; r < grid.rows(); r++) {
      for (int c = 0; c < grid.cols(); c++) {
        int rgb = colour((grid.get(r, c) - min) / span);
        for (int dy = 0; dy < scale; dy++) {
          for (int dx = 0; dx < scale; dx++) {
            image.setRGB(c * scale + dx, r * scale + dy, rgb);
          }
        }
      }
    }
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    if (!ImageIO.write(image, "png", file.toFile())) {
      throw new IOException("no PNG writer in this JVM (javax.imageio)");
    }
  }
}
