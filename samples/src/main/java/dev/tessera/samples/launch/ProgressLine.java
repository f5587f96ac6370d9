package dev.tessera.samples.launch;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import me.tongfei.progressbar.ProgressBarRenderer;
import me.tongfei.progressbar.ProgressState;

/**
 * One line of progress that fits the width it is given, keeping what matters most when that is
 * narrow: {@code heat  45% [=====>    ] 4500/10000 steps, ETA 0:00:09, 642.9/s, 0:00:07 elapsed, checkpoint 4000}.
 *
 * <p>The progressbar library's own renderer cuts its line at the terminal's right edge, which on
 * an 80-column terminal took the end of the sample's own words ("checkpoint 10" for 10000, a GPT
 * run's loss gone entirely). Here the elapsed time, the rate and the ETA go, in that order, to make
 * room for a bar of at least {@link #MIN_BAR}; where even that does not fit there is no bar. The
 * count and the sample's words stay; only a line that still does not fit is cut.
 *
 * <p>The rate and the ETA count from where the bar started ({@code startsFrom}): a resumed run
 * that begins at step 5000 does not claim 5000 steps in its first second.
 */
final class ProgressLine implements ProgressBarRenderer {

  /** The narrowest bar worth drawing (between its brackets); below this there is none. */
  static final int MIN_BAR = 5;
  /** The widest bar drawn, however wide the terminal. */
  static final int MAX_BAR = 30;
  /** Before this much time has passed, a rate would be noise: none is shown. */
  static final Duration RATE_AFTER = Duration.ofSeconds(1);

  private final String unit;

  /** @param unit what is counted, with its leading space (" steps") */
  ProgressLine(String unit) {
    this.unit = unit;
  }

  /** Where a bar stands, read from the library's state or made up in a test. */
  record Snapshot(String name, long start, long current, long max, Duration elapsed, String extra) {}

  @Override
  public String render(ProgressState state, int maxLength) {
    return render(new Snapshot(state.getTaskName(), state.getStart(), state.getCurrent(),
        state.isIndefinite() ? -1 : state.getMax(), state.getElapsedAfterStart(), state.getExtraMessage()), maxLength);
  }

  /**
   * The line for {@code at}, at most {@code maxLength} characters; {@code maxLength <= 0} means no
   * limit and no bar (a line for a log file, where a bar is noise); a limited line is padded to
   * exactly {@code maxLength}.
   */
  String render(Snapshot at, int maxLength) {
    boolean known = at.max() > 0;
    String head = at.name() + (known ? String.format(" %3d%%", percent(at)) : "");
    String count = known ? at.current() + "/" + at.max() + unit : at.current() + unit;
    String extra = at.extra() == null ? "" : at.extra().strip();

    // Dropped from the end of this list first.
    List<String> optional = new ArrayList<>(3);
    double seconds = at.elapsed().toNanos() / 1e9;
    long counted = Math.max(0, at.current() - at.start()); // a rollback may step back
    double rate = seconds > 0 ? counted / seconds : 0;
    if (known && at.elapsed().compareTo(RATE_AFTER) >= 0 && rate > 0) {
      optional.add("ETA " + clock(Math.max(0, at.max() - at.current()) / rate));
    }
    if (at.elapsed().compareTo(RATE_AFTER) >= 0) {
      optional.add(String.format("%.1f/s", rate));
    }
    optional.add(clock(seconds) + " elapsed");

    if (maxLength <= 0) {
      return join(head, null, count, optional, extra);
    }
    // With a bar if one fits by dropping some of the optional parts; otherwise without a bar.
    List<String> kept = new ArrayList<>(optional);
    while (!kept.isEmpty() && join(head, null, count, kept, extra).length() + 3 + MIN_BAR > maxLength) {
      kept.remove(kept.size() - 1);
    }
    String line = join(head, null, count, kept, extra);
    int room = maxLength - line.length() - 3; // " [" and "]"
    if (known && room >= MIN_BAR) {
      line = join(head, bar(at, Math.min(room, MAX_BAR)), count, kept, extra);
    } else {
      kept = new ArrayList<>(optional);
      line = join(head, null, count, kept, extra);
      while (line.length() > maxLength && !kept.isEmpty()) {
        kept.remove(kept.size() - 1);
        line = join(head, null, count, kept, extra);
      }
    }
    // Padded to the width: redrawn in place, a shorter line must cover the longer one before it.
    return line.length() <= maxLength ? line + " ".repeat(maxLength - line.length()) : line.substring(0, maxLength);
  }

  private static String join(String head, String bar, String count, List<String> optional, String extra) {
    StringBuilder line = new StringBuilder(head);
    if (bar != null) {
      line.append(" [").append(bar).append(']');
    }
    line.append(' ').append(count);
    for (String part : optional) {
      line.append(", ").append(part);
    }
    if (!extra.isEmpty()) {
      line.append(", ").append(extra);
    }
    return line.toString();
  }

  private static int percent(Snapshot at) {
    return (int) Math.min(100, Math.max(0, at.current() * 100 / at.max()));
  }

  private static String bar(Snapshot at, int width) {
    int filled = (int) Math.min(width, Math.max(0, at.current() * width / at.max()));
    StringBuilder bar = new StringBuilder(width);
    bar.append("=".repeat(filled));
    if (filled < width) {
      bar.append('>').append(" ".repeat(width - filled - 1));
    }
    return bar.toString();
  }

  /** h:mm:ss, the hours growing as needed (a simulation may run for days: 53:10:04). */
  static String clock(double seconds) {
    long s = (long) Math.min(seconds, Long.MAX_VALUE / 2.0);
    return String.format("%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
  }
}
