package dev.tessera.runtime.node;

import dev.tessera.runtime.cluster.JoinRefusals;
import dev.tessera.runtime.serialization.CborSerializable;
import dev.tessera.runtime.tls.TlsSeedProbe;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.SelfUp;
import org.apache.pekko.cluster.typed.Subscribe;
import org.apache.pekko.cluster.typed.Unsubscribe;

/**
 * Watches this node's attempt to join the cluster: logs a line every {@code retryLogInterval} while
 * it is not yet a member (so a node waiting for an absent seed says so instead of looking hung), and
 * reports to {@code listener} either {@link Joined} or, after {@code timeout}, {@link GaveUp}.
 *
 * <p>Pekko retries joining by itself; this actor only observes and decides when to stop trying. It
 * stops itself after reporting.
 */
public final class JoinWatchdog extends AbstractBehavior<JoinWatchdog.Command> {

  /** Messages this actor handles; all are internal (timers and cluster events). */
  public sealed interface Command {}

  private enum LogProgress implements Command {
    INSTANCE
  }

  private enum Deadline implements Command {
    INSTANCE
  }

  private record SelfUpObserved(SelfUp event) implements Command {}

  /** What the watchdog reports once: the node joined, or it gave up. */
  public sealed interface Outcome extends CborSerializable {}

  /** This node became {@code Up}. */
  public record Joined(Address self, Duration after) implements Outcome {}

  /**
   * This node did not become a member within the timeout.
   *
   * @param causes why seeds refused this node, where it learnt that ({@link JoinRefusals}); empty
   *     when no seed answered at all
   */
  public record GaveUp(List<SeedAddress> seeds, Duration after, List<String> causes) implements Outcome {
    public GaveUp {
      seeds = List.copyOf(seeds);
      causes = List.copyOf(causes);
    }
  }

  private final Cluster cluster;
  private final List<SeedAddress> seeds;
  private final Duration timeout;
  private final ActorRef<Outcome> listener;
  private final ActorRef<SelfUp> selfUpAdapter;
  private final long startedNanos = System.nanoTime();
  /** Whether this node speaks plain TCP, and so asks seeds whether they speak TLS (probeSeedsForTls). */
  private final boolean plainTcp;
  /** Seeds whose TLS probe answered, or is under way: each is asked until it answers. */
  private final Set<SeedAddress> probedSeeds = ConcurrentHashMap.newKeySet();

  /**
   * @param seeds the seeds being tried, for the log lines; empty when the node forms a new cluster
   * @param timeout give up after this long
   * @param retryLogInterval log progress this often while not a member
   * @param listener receives exactly one {@link Outcome}
   */
  public static Behavior<Command> create(
      List<SeedAddress> seeds, Duration timeout, Duration retryLogInterval, ActorRef<Outcome> listener) {
    Objects.requireNonNull(seeds, "seeds");
    Objects.requireNonNull(timeout, "timeout");
    Objects.requireNonNull(retryLogInterval, "retryLogInterval");
    Objects.requireNonNull(listener, "listener");
    return Behaviors.setup(
        context ->
            Behaviors.withTimers(
                timers -> new JoinWatchdog(context, timers, seeds, timeout, retryLogInterval, listener)));
  }

  private JoinWatchdog(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      List<SeedAddress> seeds,
      Duration timeout,
      Duration retryLogInterval,
      ActorRef<Outcome> listener) {
    super(context);
    context.setLoggerName(JoinWatchdog.class);
    this.cluster = Cluster.get(context.getSystem());
    this.seeds = List.copyOf(seeds);
    this.timeout = timeout;
    this.listener = listener;
    this.plainTcp = context.getSystem().settings().config().getString("pekko.remote.artery.transport").equals("tcp");
    this.selfUpAdapter = context.messageAdapter(SelfUp.class, SelfUpObserved::new);
    // SelfUp is delivered at once if this node is already Up.
    cluster.subscriptions().tell(Subscribe.create(selfUpAdapter, SelfUp.class));
    timers.startTimerWithFixedDelay(LogProgress.INSTANCE, retryLogInterval);
    timers.startSingleTimer(Deadline.INSTANCE, timeout);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(SelfUpObserved.class, this::onSelfUp)
        .onMessageEquals(LogProgress.INSTANCE, this::onLogProgress)
        .onMessageEquals(Deadline.INSTANCE, this::onDeadline)
        .build();
  }

  private Behavior<Command> onSelfUp(SelfUpObserved up) {
    Address self = cluster.selfMember().address();
    Duration after = elapsed();
    getContext()
        .getLog()
        .info(
            "joined cluster as {} with roles {} after {} ms",
            self,
            cluster.selfMember().getRoles(),
            after.toMillis());
    listener.tell(new Joined(self, after));
    return stop();
  }

  private Behavior<Command> onLogProgress() {
    probeSeedsForTls();
    MemberStatus status = cluster.selfMember().status();
    if (status.equals(MemberStatus.leaving()) || status.equals(MemberStatus.exiting()) || status.equals(MemberStatus.down())) {
      // Shut down (or downed) while joining: nothing is being tried any more, so say so once.
      getContext().getLog().info("the node is {} before it was Up: no longer waiting to join", status);
      return stop();
    }
    getContext()
        .getLog()
        .warn(
            "not a cluster member yet after {} s (status {}): still trying seed nodes {}; giving up in {} s",
            seconds(elapsed()),
            statusName(),
            seeds.isEmpty() ? "[this node]" : seeds,
            seconds(timeout.minus(elapsed())));
    return this;
  }

  private Behavior<Command> onDeadline() {
    List<String> causes = JoinRefusals.ID.get(Adapter.toClassic(getContext().getSystem())).causes();
    getContext()
        .getLog()
        .error(
            "could not join the cluster through seed nodes {} within {} s; giving up{}",
            seeds.isEmpty() ? "[this node]" : seeds,
            seconds(timeout),
            causes.isEmpty() ? "" : ": " + String.join("; ", causes));
    listener.tell(new GaveUp(seeds, elapsed(), causes));
    return stop();
  }

  /**
   * A node without TLS cannot tell a TLS seed, which closes its connections unread, from one that
   * is down. From the first progress line on (a join that has taken a while), asks each seed, off
   * the actor's thread, whether it speaks TLS, again at each line until it answers, and records a
   * seed that does as a {@link JoinRefusals} cause.
   */
  private void probeSeedsForTls() {
    if (!plainTcp) {
      return;
    }
    JoinRefusals refusals = JoinRefusals.ID.get(Adapter.toClassic(getContext().getSystem()));
    Executor blocking = getContext().getSystem().dispatchers().lookup(DispatcherSelector.blocking());
    for (SeedAddress seed : seeds) {
      if (!probedSeeds.add(seed)) {
        continue;
      }
      CompletableFuture.supplyAsync(() -> TlsSeedProbe.probe(seed.host(), seed.port(), Duration.ofSeconds(2)), blocking)
          .whenComplete((answer, error) -> {
            if (answer == TlsSeedProbe.Answer.TLS) {
              refusals.record(seed.toString(), "tls", TlsSeedProbe.seedSpeaksTlsMessage(seed.toString()));
            } else if (answer != TlsSeedProbe.Answer.NOT_TLS) {
              probedSeeds.remove(seed); // no answer (or the probe failed): ask again next time
            }
          });
    }
  }

  private Behavior<Command> stop() {
    cluster.subscriptions().tell(new Unsubscribe<>(selfUpAdapter));
    return Behaviors.stopped();
  }

  private String statusName() {
    // Before the first Welcome the self member is reported as Removed, which reads wrongly.
    String status = cluster.selfMember().status().toString();
    return "Removed".equals(status) ? "not joined" : status;
  }

  /** Whole seconds for long waits, one decimal for short ones: "60", "1.5". */
  private static String seconds(Duration d) {
    long millis = Math.max(0, d.toMillis());
    return millis >= 10_000 ? String.valueOf(Math.round(millis / 1000.0)) : String.format("%.1f", millis / 1000.0);
  }

  private Duration elapsed() {
    return Duration.ofNanos(System.nanoTime() - startedNanos);
  }
}
