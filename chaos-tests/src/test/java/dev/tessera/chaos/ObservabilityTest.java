package dev.tessera.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.chaos.harness.PrometheusServer;
import dev.tessera.persistence.jobs.DurableJobHandle;
import dev.tessera.persistence.jobs.DurableJobs;
import dev.tessera.persistence.jobs.JobStatus;
import dev.tessera.runtime.job.JobOptions;
import dev.tessera.runtime.launch.LocalCluster;
import dev.tessera.runtime.metrics.Promtool;
import dev.tessera.runtime.node.ComputeNode;
import dev.tessera.work.JobResult;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Three node processes run a durable job while a real Prometheus server (Debian's package) scrapes
 * their {@code /metrics} and headless Chromium (Debian's chromium and chromium-driver, driven by
 * Selenium) shows one node's dashboard; one worker's node is killed with SIGKILL. One cluster for
 * both watchers, so the suite starts it once.
 *
 * <ul>
 *   <li>Prometheus: every node's worker busy during the job; the taken-back counter rises after the
 *       kill; the succeeded counter summed over the nodes equals the job's size.
 *   <li>The page: the job's progress rises; the killed node shows as unreachable, then as removed;
 *       the kill appears in the timeline with its recovery time, as do the tasks taken back from it
 *       and run again. A screenshot is saved as {@code target/dashboard.png}.
 * </ul>
 */
class ObservabilityTest {

  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  private static final int TASKS = 2_400;
  private static final Duration WAIT = Duration.ofSeconds(90);

  // Kept when the test fails: the nodes' logs are in it.
  @TempDir(cleanup = CleanupMode.ON_SUCCESS) Path dir;

  @Test
  void prometheusAndTheDashboardSeeTheJobTheKilledWorkerAndTheRecovery() throws Exception {
    Assumptions.assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
        "skipped: no " + CHROMIUM + " or " + CHROMEDRIVER + " (apt-get install chromium chromium-driver)");
    Assumptions.assumeTrue(PrometheusServer.unavailable().isEmpty(), () -> "skipped: " + PrometheusServer.unavailable().get());
    TestJournal journal = TestJournal.start(TestJournal.Kind.H2_SERVER, dir.resolve("data"));
    Path config = dir.resolve("nodes.conf");
    Files.writeString(config, journal.nodeConfig() + "tessera.persistence.jobs.role = coordinator\n");
    LocalCluster.Spec spec = LocalCluster.Spec.onFreePorts(3, dir.resolve("logs"))
        .withRoles(List.of("worker", "coordinator"))
        .withExtraNodeArguments(List.of("--config", config.toString()));
    WebDriver browser = null;
    try (TestJournal j = journal; LocalCluster cluster = LocalCluster.startOnFreePorts(spec);
        PrometheusServer prometheus = PrometheusServer.start(dir.resolve("prometheus"),
            List.of(spec.httpPort(1), spec.httpPort(2), spec.httpPort(3)))) {
      Await.until("3 nodes Up", Duration.ofSeconds(120), () -> cluster.view(1).upCount() == 3);
      Await.until("Prometheus scrapes all 3 nodes", WAIT, () -> prometheus.query("sum(up{job=\"tessera\"})").orElse(0) == 3);
      browser = chromium();
      browser.get("http://127.0.0.1:" + spec.httpPort(1) + "/dashboard");
      WebDriver page = browser;
      Await.until("the page lists 3 members Up", WAIT,
          () -> page.findElements(By.cssSelector("#members td.status-Up")).size() == 3);

      Map<String, Object> clientConfig = new HashMap<>(journal.clientConfig());
      clientConfig.put("tessera.persistence.jobs.role", "coordinator");
      String jobId = "dashboard-" + UUID.randomUUID();
      try (ComputeNode client = ComputeNode.joinAsClient(spec.seedList(), clientConfig, Duration.ofSeconds(90))) {
        List<ChaosTasks.Sleepy> inputs =
            IntStream.range(0, TASKS).mapToObj(i -> new ChaosTasks.Sleepy(i, 40, null, null)).toList();
        DurableJobHandle<Long> handle = DurableJobs.submit(client.system(), jobId, ChaosTasks.SLEEPY_PID, inputs,
            JobOptions.defaults().withRequiredRole("worker"));
        handle.submitted().toCompletableFuture().get(60, TimeUnit.SECONDS);

        String job = "job_id=\"" + jobId + "\"";
        Await.until("every node's worker busy, as Prometheus sees it", WAIT,
            () -> prometheus.query("count(tessera_worker_slots_busy > 0)").orElse(0) == 3);
        assertThat(prometheus.query("sum(tessera_tasks_taken_back_total{" + job + "})").orElse(-1))
            .as("tasks taken back before any fault").isZero();
        String row = "tr[data-job='" + jobId + "']";
        Await.until("the job on the page with some tasks done", WAIT, () -> done(page, row) > 0);
        int first = done(page, row);
        Await.until("the job's progress rising on the page", WAIT, () -> done(page, row) > first);
        assertThat(text(page, row + " .total")).isEqualTo(String.format("%,d", TASKS));

        JobStatus status = handle.status().toCompletableFuture().get(10, TimeUnit.SECONDS);
        int victim = status.coordinatorNode().endsWith(":" + spec.port(3)) ? 2 : 3;
        String member = "#members tr[data-address$=':" + spec.port(victim) + "']";
        cluster.node(victim).kill();
        Await.until("the taken-back counter rises in Prometheus", WAIT, () -> prometheus.query(
            "sum(tessera_tasks_taken_back_total{" + job + ",reason=~\"worker_killed|worker_silent\"})").orElse(0) > 0);

        Await.until("the killed node shown unreachable", WAIT,
            () -> "unreachable".equals(text(page, member + " .reachable")));
        Await.until("the killed node shown removed", WAIT, () -> "Removed".equals(text(page, member + " .status")));
        String unreachable = "#timeline li[data-kind='unreachable'][data-node$=':" + spec.port(victim) + "']";
        Await.until("the kill in the timeline with its recovery time", WAIT,
            () -> text(page, unreachable + " .recovery").startsWith("recovered in"));
        assertThat(text(page, unreachable + " .text")).contains("removed; the cluster went on without it after");
        String takenBack = "#timeline li[data-kind='taken-back'][data-node$=':" + spec.port(victim) + "']";
        Await.until("the tasks taken back from the killed node re-run, in the timeline", WAIT,
            () -> text(page, takenBack + " .recovery").startsWith("recovered in"));
        assertThat(text(page, takenBack + " .text")).contains("job " + jobId + ": ").contains("taken back from");

        Path shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE).toPath();
        Path target = Path.of("target", "dashboard.png");
        Files.createDirectories(target.getParent());
        Files.copy(shot, target, StandardCopyOption.REPLACE_EXISTING);
        assertThat(Files.size(target)).isPositive();

        JobResult<Long> result = handle.result().toCompletableFuture().get(300, TimeUnit.SECONDS);
        assertThat(result.succeeded()).as("failures: %s", result.failures()).isTrue();
        assertThat(result.results()).hasSize(TASKS);
        Await.until("the job shown ended, all done", WAIT,
            () -> "ended".equals(text(page, row + " .state")) && done(page, row) == TASKS);
        Await.until("Prometheus' sum of succeeded tasks over the nodes reaches the job's size", WAIT,
            () -> prometheus.query("sum(tessera_tasks_succeeded_total{" + job + "})").orElse(0) >= TASKS);
        assertThat(prometheus.query("sum(tessera_tasks_succeeded_total{" + job + "})").orElse(0))
            .as("succeeded tasks summed over the nodes").isEqualTo(TASKS);
        assertThat(prometheus.query("sum(tessera_tasks_failed_total{" + job + "})").orElse(-1)).isZero();

        // A node process's whole exposition (tasks, worker, journal, coordinator, data, membership, JVM) lints clean.
        int coordinatorNode = IntStream.rangeClosed(1, 3)
            .filter(i -> status.coordinatorNode().endsWith(":" + spec.port(i))).findFirst().orElseThrow();
        String exposition = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + spec.httpPort(coordinatorNode) + "/metrics")).build(),
            java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        assertThat(exposition).contains("tessera_journal_write_seconds_count").contains("tessera_data_objects")
            .contains("tessera_coordinator_starts_total");
        assertThat(Promtool.check(exposition)).as("promtool check metrics").isEmpty();
      }
    } finally {
      if (browser != null) {
        browser.quit();
      }
    }
  }

  private static WebDriver chromium() {
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
        "--window-size=1500,1100", "--user-data-dir=" + Path.of(System.getProperty("java.io.tmpdir"),
            "tessera-chromium-" + UUID.randomUUID()));
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(new File(CHROMEDRIVER.toString())).usingAnyFreePort().build();
    return new ChromeDriver(service, options);
  }

  /** The text of the first element matching {@code css}, read in one script (the page redraws twice a second). */
  private static String text(WebDriver page, String css) {
    Object text = ((JavascriptExecutor) page).executeScript(
        "const e = document.querySelector(arguments[0]); return e ? e.textContent : '';", css);
    return String.valueOf(text).trim();
  }

  private static int done(WebDriver page, String row) {
    String done = text(page, row + " .done").replace(",", "");
    return done.isEmpty() ? 0 : Integer.parseInt(done);
  }
}
