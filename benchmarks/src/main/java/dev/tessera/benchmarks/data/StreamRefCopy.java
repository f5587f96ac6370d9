package dev.tessera.benchmarks.data;

import dev.tessera.runtime.serialization.CborSerializable;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.SourceRef;
import org.apache.pekko.stream.javadsl.FileIO;
import org.apache.pekko.stream.javadsl.StreamRefs;
import org.apache.pekko.util.ByteString;

/**
 * The alternative {@link DataBench} compares the object store's transfer with: a file as a Pekko
 * Streams {@link SourceRef} of fixed-size chunks, which the reading node runs into a file, the
 * chunks crossing as Artery messages (ordinary lane, back-pressured by the StreamRef protocol).
 * Each node runs an offering actor; a reader asks another node's for a file and gets the ref.
 *
 * <p>Thread safety: any thread.
 */
final class StreamRefCopy {

  /** Asks the offering actor for a file's chunks; answered with {@link Offered}. */
  record Take(String path, int chunk, ActorRef<Offered> replyTo) implements CborSerializable {}

  /** The file's chunks, to be run on the reader's side. */
  record Offered(SourceRef<ByteString> chunks) implements CborSerializable {}

  private final ActorSystem<?> system;
  private final Materializer materializer;
  private final ActorRef<Take> offers;

  StreamRefCopy(ActorSystem<?> system) {
    this.system = system;
    this.materializer = Materializer.createMaterializer(system);
    this.offers = system.systemActorOf(offering(materializer), "stream-offers",
        org.apache.pekko.actor.typed.Props.empty());
  }

  private static Behavior<Take> offering(Materializer materializer) {
    return Behaviors.receiveMessage(take -> {
      SourceRef<ByteString> chunks = FileIO.fromPath(Path.of(take.path()), take.chunk())
          .runWith(StreamRefs.sourceRef(), materializer);
      take.replyTo().tell(new Offered(chunks));
      return Behaviors.same();
    });
  }

  /** This node's offering actor, as text another node resolves. */
  String endpoint() {
    return ActorRefResolver.get(system).toSerializationFormat(offers);
  }

  /** Asks the node at {@code endpoint} for its file's chunks, and runs them into {@code target}. */
  void receive(String endpoint, Path file, int chunk, Path target) throws Exception {
    ActorRef<Take> remote = ActorRefResolver.get(system).resolveActorRef(endpoint);
    Offered offered = AskPattern.<Take, Offered>ask(remote, replyTo -> new Take(file.toString(), chunk, replyTo),
        Duration.ofSeconds(30), system.scheduler()).toCompletableFuture().get(30, TimeUnit.SECONDS);
    offered.chunks().getSource().runWith(FileIO.toPath(target), materializer)
        .toCompletableFuture().get(10, TimeUnit.MINUTES);
  }
}
