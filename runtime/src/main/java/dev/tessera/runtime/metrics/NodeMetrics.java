package dev.tessera.runtime.metrics;

import com.typesafe.config.Config;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;

/**
 * A node's meters: one Micrometer registry per actor system, exported in Prometheus' text format
 * at {@code GET /metrics} on the node's management endpoint ({@link MetricsRoute}). The runtime's
 * modules record into {@link #registry()}: the work-pulling engine its tasks, the durable jobs their
 * coordinators and journal, the GPU module its calls. Besides those it holds the JVM's own meters
 * and the cluster's membership as this node sees it.
 *
 * <p>The registry is a composite: a service embedding the runtime may add a registry of its own
 * ({@code NodeMetrics.get(system).registry().add(myRegistry)}) and see every meter there too. With
 * {@code tessera.metrics.enabled = off} the composite is empty, every meter a no-op, and {@code
 * /metrics} answers 404.
 *
 * <p>Names follow Prometheus' rules: a {@code tessera_} prefix, the unit in the name, {@code
 * _total} on counters (Micrometer adds the suffixes). Labels are bounded: a job's id becomes a
 * label value only through {@link #jobLabels()}.
 *
 * <p>Thread safety: safe from any thread (Micrometer's registries are).
 */
public final class NodeMetrics implements Extension {

  private final CompositeMeterRegistry registry = new CompositeMeterRegistry();
  private final Optional<PrometheusMeterRegistry> prometheus;
  private final JobLabels jobLabels;
  private final Duration taskDurationMax;

  private NodeMetrics(ActorSystem<?> system) {
    Config config = system.settings().config().getConfig("tessera.metrics");
    this.jobLabels = new JobLabels(system, config.getInt("job-labels"), config.getDuration("ended-job-series-kept"));
    this.taskDurationMax = config.getDuration("task-duration-max");
    if (!config.getBoolean("enabled")) {
      this.prometheus = Optional.empty();
      return;
    }
    PrometheusMeterRegistry p = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    // Two of Micrometer's system meters break Prometheus' naming rules (promtool check metrics):
    // system_cpu_count is a gauge ending in _count, process_cpu_time_ns_total has an abbreviated
    // unit. The first is renamed, the second dropped (process_cpu_usage says the same).
    p.config().meterFilter(new MeterFilter() {
      @Override
      public Meter.Id map(Meter.Id id) {
        return id.getName().equals("system.cpu.count") ? id.withName("system.cpus") : id;
      }
    });
    p.config().meterFilter(MeterFilter.denyNameStartsWith("process.cpu.time"));
    this.prometheus = Optional.of(p);
    registry.add(p);
    new JvmMemoryMetrics().bindTo(registry);
    JvmGcMetrics gc = new JvmGcMetrics();
    gc.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
    bindMembership(system);
    system.getWhenTerminated().whenComplete((done, e) -> {
      gc.close();
      registry.close();
    });
  }

  public static NodeMetrics get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  /** Where the runtime's modules record; a composite a service may add its own registry to. */
  public MeterRegistry registry() {
    return registry;
  }

  /** Whether meters are kept ({@code tessera.metrics.enabled}). */
  public boolean enabled() {
    return prometheus.isPresent();
  }

  /**
   * Pauses ({@code false}) or resumes recording: while paused every meter is a no-op and a scrape
   * shows the values as they were (the Prometheus registry leaves the node's composite). For a
   * benchmark that compares the two on the same cluster; does nothing when metrics are off.
   */
  public synchronized void recording(boolean on) {
    prometheus.ifPresent(p -> {
      if (on) {
        registry.add(p);
      } else {
        registry.remove(p);
      }
    });
  }

  /** Every meter in Prometheus' text format (version 0.0.4); empty when metrics are off. */
  public Optional<String> scrape() {
    return prometheus.map(PrometheusMeterRegistry::scrape);
  }

  /** The bounded set of job ids used as label values. */
  public JobLabels jobLabels() {
    return jobLabels;
  }

  /** The largest task duration the duration histogram tells apart ({@code task-duration-max}). */
  public Duration taskDurationMax() {
    return taskDurationMax;
  }

  /**
   * {@code tessera_cluster_members{status}}: members in each status as this node sees them, and
   * {@code tessera_cluster_unreachable_members}, read from the cluster's state when scraped.
   */
  private void bindMembership(ActorSystem<?> system) {
    Cluster cluster;
    try {
      cluster = Cluster.get(system.classicSystem());
    } catch (RuntimeException e) {
      return; // not a cluster actor system (a plain test system): nothing to count
    }
    for (MemberStatus status : new MemberStatus[] {
        MemberStatus.joining(), MemberStatus.weaklyUp(), MemberStatus.up(), MemberStatus.leaving(),
        MemberStatus.exiting(), MemberStatus.down()}) {
      String name = status.toString().toLowerCase(Locale.ROOT);
      Gauge.builder("tessera.cluster.members", cluster, c -> count(c, status))
          .description("Members of the cluster in each status, as this node sees them")
          .tags(Tags.of("status", name))
          .register(registry);
    }
    Gauge.builder("tessera.cluster.unreachable.members", cluster, c -> c.state().getUnreachable().size())
        .description("Members this node's failure detector (or another member's) finds unreachable")
        .register(registry);
  }

  private static double count(Cluster cluster, MemberStatus status) {
    int n = 0;
    for (Member m : cluster.state().getMembers()) {
      if (m.status().equals(status)) {
        n++;
      }
    }
    return n;
  }

  static final class Id extends ExtensionId<NodeMetrics> {
    static final Id INSTANCE = new Id();

    @Override
    public NodeMetrics createExtension(ActorSystem<?> system) {
      return new NodeMetrics(system);
    }
  }
}
