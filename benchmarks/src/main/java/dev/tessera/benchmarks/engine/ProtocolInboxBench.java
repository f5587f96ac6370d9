package dev.tessera.benchmarks.engine;

import dev.tessera.work.protocol.ProtocolInbox;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * What {@link ProtocolInbox} adds to each protocol message an actor receives: the same messages,
 * from the same thread, to two actors of one {@code ActorSystem} that count them. One takes the
 * protocol's type as its own; the other has a command type of its own and takes the protocol's
 * messages through {@link ProtocolInbox#accepting}, which wraps each into its command (as the job
 * coordinators do with {@code CoordinatorMessage}). Each invocation tells {@link #MESSAGES}
 * messages and waits until the actor has handled the last, so the score is the cost per message
 * of a tell, the mailbox, the actor's turn and (for one of them) the interceptor, in nanoseconds;
 * {@link EngineBenchmarks} prints the ratio of the two.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ProtocolInboxBench {

  /** Messages per invocation: the score is nanoseconds per message. */
  public static final int MESSAGES = 10_000;

  /** A protocol message; the last of an invocation asks for the count of messages handled so far. */
  public record Ping(CompletableFuture<Long> countWhenHandled) {}

  /** The intercepted actor's own command type: a protocol message arrives wrapped in this. */
  public interface CounterCommand {}

  /** A {@link Ping}, wrapped by {@link ProtocolInbox}. */
  public record FromProtocol(Ping ping) implements CounterCommand {}

  private static final Ping PING = new Ping(null);

  private ActorSystem<Void> system;
  private ActorRef<Ping> plainCounter;
  private ActorRef<Ping> interceptedCounter;
  private long sentToPlain;
  private long sentToIntercepted;

  @Setup
  public void startCounters() {
    system = ActorSystem.create(Behaviors.empty(), "protocol-inbox-bench");
    plainCounter = system.systemActorOf(countingPings(), "plain-counter", Props.empty());
    Behavior<CounterCommand> intercepted = ProtocolInbox.accepting(Ping.class, FromProtocol::new, countingCommands());
    interceptedCounter = ProtocolInbox.of(Ping.class,
        system.systemActorOf(intercepted, "intercepted-counter", Props.empty()));
  }

  @TearDown
  public void terminateActorSystem() {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().join();
  }

  @Benchmark
  @OperationsPerInvocation(MESSAGES)
  public long withoutInterceptor() {
    sentToPlain += MESSAGES;
    return sendAndAwait(plainCounter, sentToPlain);
  }

  @Benchmark
  @OperationsPerInvocation(MESSAGES)
  public long throughProtocolInbox() {
    sentToIntercepted += MESSAGES;
    return sendAndAwait(interceptedCounter, sentToIntercepted);
  }

  private static long sendAndAwait(ActorRef<Ping> counter, long expectedCount) {
    for (int i = 1; i < MESSAGES; i++) {
      counter.tell(PING);
    }
    CompletableFuture<Long> counted = new CompletableFuture<>();
    counter.tell(new Ping(counted));
    long count = counted.join();
    if (count != expectedCount) {
      throw new IllegalStateException("the counter handled " + count + " messages, expected " + expectedCount);
    }
    return count;
  }

  private static Behavior<Ping> countingPings() {
    return Behaviors.setup(context -> {
      long[] count = {0};
      return Behaviors.receiveMessage(ping -> {
        count[0]++;
        if (ping.countWhenHandled() != null) {
          ping.countWhenHandled().complete(count[0]);
        }
        return Behaviors.same();
      });
    });
  }

  private static Behavior<CounterCommand> countingCommands() {
    return Behaviors.setup(context -> {
      long[] count = {0};
      return Behaviors.receiveMessage(command -> {
        if (command instanceof FromProtocol fromProtocol) {
          count[0]++;
          Ping ping = fromProtocol.ping();
          if (ping.countWhenHandled() != null) {
            ping.countWhenHandled().complete(count[0]);
          }
        }
        return Behaviors.same();
      });
    });
  }
}
