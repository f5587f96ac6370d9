package dev.tessera.benchmarks.engine;

import java.util.Collection;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;

/**
 * {@code bin/bench-engine}: runs the work engine's JMH benchmarks with JMH's own command line
 * ({@code -f}, {@code -wi}, {@code -i}, {@code -p batchSize=100}, a benchmark pattern, ...), then
 * prints what JMH's table leaves to the reader, from the median of each benchmark's iterations (JMH's
 * score is their mean): the dispatcher's cost per task as tasks per second of one coordinator, and
 * the ratio of a message through {@code ProtocolInbox} to one without it.
 * Asked to list or to explain (-l, -lp, -h, -lprof, -lrf), it is JMH's {@code Main}.
 */
public final class EngineBenchmarks {

  private EngineBenchmarks() {}

  public static void main(String[] args) throws Exception {
    CommandLineOptions options = new CommandLineOptions(args);
    if (options.shouldHelp() || options.shouldList() || options.shouldListWithParams()
        || options.shouldListProfilers() || options.shouldListResultFormats()) {
      org.openjdk.jmh.Main.main(args);
      return;
    }
    Collection<RunResult> results = new Runner(options).run();
    Map<String, Double> nanosPerOp = new HashMap<>();
    System.out.println();
    System.out.println("What the scores mean (medians of the measured iterations, ns per task or per message, this run):");
    for (RunResult result : results) {
      String method = result.getParams().getBenchmark();
      method = method.substring(method.lastIndexOf('.') + 1);
      // The median of the measured iterations: on a shared machine one starved iteration moves the mean.
      double score = result.getPrimaryResult().getStatistics().getPercentile(50);
      String unit = result.getPrimaryResult().getScoreUnit();
      if (!unit.equals("ns/op")) {
        System.out.printf(Locale.ROOT, "  %s: %.1f %s (run in ns/op, the default, for the lines below)%n", method, score, unit);
        continue;
      }
      nanosPerOp.put(method, score);
      if (method.equals("oneJobOfTasks")) {
        String preferred = result.getParams().getParam("preferredNode");
        System.out.printf(Locale.ROOT, "  TaskDispatcher, batch size %s%s: %.0f ns per task, at most %,.0f tasks/s for one coordinator%n",
            result.getParams().getParam("batchSize"),
            preferred == null || preferred.equals("none") ? "" : ", tasks preferring the " + preferred + "'s node",
            score, 1e9 / score);
      }
    }
    Double plain = nanosPerOp.get("withoutInterceptor");
    Double intercepted = nanosPerOp.get("throughProtocolInbox");
    if (plain != null && intercepted != null) {
      System.out.printf(Locale.ROOT,
          "  a message to an actor: %.0f ns without ProtocolInbox, %.0f ns through it: ratio %.2f, %+.0f ns per message%n",
          plain, intercepted, intercepted / plain, intercepted - plain);
    }
  }
}
