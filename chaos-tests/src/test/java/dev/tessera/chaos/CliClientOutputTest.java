package dev.tessera.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.cli.TesseraCommand;
import dev.tessera.runtime.launch.FreePorts;
import dev.tessera.runtime.launch.NodeProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cluster jobs list} and {@code cluster jobs cancel}, run as a user runs them against a
 * {@code cluster local} cluster, print their answer and nothing else: the client node's log lines
 * (membership, the split brain resolver, the journal's pool) go to a file, which a failing command
 * names and a succeeding one deletes.
 */
class CliClientOutputTest {

  /** A logback line of the CLI's pattern: "12:34:56.789 INFO  Logger - ...". */
  private static final Pattern LOG_LINE = Pattern.compile("(?m)^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} +(TRACE|DEBUG|INFO|WARN|ERROR) ");
  private static final Pattern LOG_FILE = Pattern.compile("\\(log: (\\S+\\.log)\\)");

  @TempDir Path dir;

  private NodeProcess jobs(String seed, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("jobs"));
    command.addAll(List.of(args));
    command.addAll(List.of("--seeds", seed, "--data-dir", dir.resolve("data").toString(), "--timeout", "60s"));
    return NodeProcess.start("jobs " + args[0], TesseraCommand.class.getName(), command, "192m", dir.resolve("jobs-" + args[0] + ".out"));
  }

  private static String finish(NodeProcess process) throws Exception {
    assertThat(process.awaitExit(Duration.ofSeconds(120))).as("%s exited", process).isTrue();
    return process.output();
  }

  @Test
  void jobsListAndCancelPrintOnlyTheirAnswerAndLogToAFile() throws Exception {
    int port = FreePorts.block(1);
    NodeProcess local = NodeProcess.start("cluster local", TesseraCommand.class.getName(), List.of(
            "local", "--nodes", "1", "--heap", "192m", "--base-port", String.valueOf(port),
            "--http-port", String.valueOf(FreePorts.block(1)), "--log-dir", dir.resolve("nodes").toString(),
            "--data-dir", dir.resolve("data").toString()),
        "128m", dir.resolve("local.log"));
    List<NodeProcess> clients = new ArrayList<>();
    Path cancelLog = null;
    try {
      assertThat(local.awaitOutput(Pattern.compile("cluster formed: 1 nodes Up"), Duration.ofSeconds(120)))
          .as(local.output()).isTrue();
      String seed = "127.0.0.1:" + port;

      long started = System.nanoTime();
      NodeProcess list = jobs(seed, "list");
      clients.add(list);
      String listed = finish(list);
      System.out.printf("jobs list took %d ms%n", Duration.ofNanos(System.nanoTime() - started).toMillis());
      assertThat(list.exitValue()).as(listed).isZero();
      assertThat(listed).doesNotContainPattern(LOG_LINE).startsWith("JOB ").endsWith("0 jobs\n").hasLineCount(2);
      assertThat(Path.of(System.getProperty("java.io.tmpdir"), "tessera-cli", "jobs-" + list.pid() + ".log"))
          .as("a succeeding command's log is deleted").doesNotExist();

      NodeProcess cancel = jobs(seed, "cancel", "no-such-job");
      clients.add(cancel);
      String cancelled = finish(cancel);
      assertThat(cancel.exitValue()).as(cancelled).isEqualTo(1);
      assertThat(cancelled).doesNotContainPattern(LOG_LINE).hasLineCount(1).startsWith("error: no job no-such-job (log: ");
      Matcher named = LOG_FILE.matcher(cancelled);
      assertThat(named.find()).isTrue();
      cancelLog = Path.of(named.group(1));
      assertThat(Files.readString(cancelLog))
          .as("the log the failing command names")
          .contains("joined cluster as")
          .contains("is Removed (was Exiting) [client]");
    } finally {
      for (NodeProcess client : clients) {
        client.stop(Duration.ofSeconds(5));
      }
      local.stop(Duration.ofSeconds(20));
      if (cancelLog != null) {
        Files.deleteIfExists(cancelLog);
      }
    }
  }
}
