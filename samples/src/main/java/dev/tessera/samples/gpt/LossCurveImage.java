package dev.tessera.samples.gpt;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * A training run's loss curve as a PNG: the loss of every step (light) and its running mean over
 * {@link #SMOOTHING} steps (dark), against the step, with the axes labelled.
 */
public final class LossCurveImage {

  static final int WIDTH = 800;
  static final int HEIGHT = 450;
  private static final int SMOOTHING = 20;
  private static final int LEFT = 70;
  private static final int RIGHT = 20;
  private static final int TOP = 40;
  private static final int BOTTOM = 50;

  private LossCurveImage() {}

  /** Writes the curve of {@code losses} (step {@code i + 1} at index {@code i}) to {@code file}. */
  public static void write(double[] losses, String title, Path file) throws IOException {
    if (losses.length == 0) {
      throw new IllegalArgumentException("no losses to draw");
    }
    BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, WIDTH, HEIGHT);
      double top = 0;
      for (double loss : losses) {
        top = Math.max(top, Double.isFinite(loss) ? loss : 0);
      }
      top = niceCeiling(top);
      int plotWidth = WIDTH - LEFT - RIGHT;
      int plotHeight = HEIGHT - TOP - BOTTOM;
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
      // Grid and labels: five horizontal lines, the step at both ends and the middle.
      for (int i = 0; i <= 5; i++) {
        double value = top * i / 5;
        int y = TOP + plotHeight - (int) Math.round(plotHeight * value / top);
        g.setColor(new Color(230, 230, 230));
        g.drawLine(LEFT, y, LEFT + plotWidth, y);
        g.setColor(Color.DARK_GRAY);
        String label = String.format(Locale.ROOT, "%.2f", value);
        g.drawString(label, LEFT - 8 - g.getFontMetrics().stringWidth(label), y + 4);
      }
      for (int i = 0; i <= 4; i++) {
        long step = Math.round(1 + (losses.length - 1) * i / 4.0);
        int x = LEFT + (int) Math.round(plotWidth * i / 4.0);
        String label = Long.toString(step);
        g.drawString(label, x - g.getFontMetrics().stringWidth(label) / 2, TOP + plotHeight + 18);
      }
      g.setColor(Color.BLACK);
      g.drawRect(LEFT, TOP, plotWidth, plotHeight);
      g.drawString("step", LEFT + plotWidth / 2 - 12, HEIGHT - 12);
      g.drawString("training loss (cross-entropy per token)", LEFT, TOP - 8);
      g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
      g.drawString(title, LEFT, 20);
      // The curves.
      g.setStroke(new BasicStroke(1f));
      g.setColor(new Color(160, 190, 230));
      g.draw(curve(losses, top, plotWidth, plotHeight));
      g.setStroke(new BasicStroke(2f));
      g.setColor(new Color(20, 60, 160));
      g.draw(curve(runningMean(losses), top, plotWidth, plotHeight));
    } finally {
      g.dispose();
    }
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    if (!ImageIO.write(image, "png", file.toFile())) {
      throw new IOException("no PNG writer available");
    }
  }

  private static Path2D curve(double[] values, double top, int plotWidth, int plotHeight) {
    Path2D.Double path = new Path2D.Double();
    for (int i = 0; i < values.length; i++) {
      double x = LEFT + (values.length == 1 ? 0 : plotWidth * (double) i / (values.length - 1));
      double v = Double.isFinite(values[i]) ? Math.min(values[i], top) : top;
      double y = TOP + plotHeight - plotHeight * v / top;
      if (i == 0) {
        path.moveTo(x, y);
      } else {
        path.lineTo(x, y);
      }
    }
    return path;
  }

  static double[] runningMean(double[] values) {
    double[] mean = new double[values.length];
    double sum = 0;
    for (int i = 0; i < values.length; i++) {
      sum += values[i];
      if (i >= SMOOTHING) {
        sum -= values[i - SMOOTHING];
      }
      mean[i] = sum / Math.min(i + 1, SMOOTHING);
    }
    return mean;
  }

  /** 1, 2, 2.5, 3, 4 or 5 times a power of ten, at least {@code value} (and above 0). */
  static double niceCeiling(double value) {
    if (!(value > 0)) {
      return 1;
    }
    double power = Math.pow(10, Math.floor(Math.log10(value)));
    for (double m : new double[] {1, 2, 2.5, 3, 4, 5, 10}) {
      if (m * power >= value) {
        return m * power;
      }
    }
    return 10 * power;
  }
}
