package dev.tessera.gpu;

import dev.tessera.gpu.cuda.GpuDevice;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * The GPUs of the cluster, as their nodes advertise them: every {@link GpuActor} registered under
 * {@link GpuActor#SERVICE_KEY}, asked to {@link GpuActor.Describe} itself. What {@code cluster gpus}
 * prints.
 */
public final class GpuDirectory {

  /** One device and the node it is on. */
  public record Entry(Address node, GpuDevice device) {}

  /**
   * @param devices every device found, by node and ordinal
   * @param gpuNodesWithoutDevice members with the GPU role that registered no device (a node given
   *     the role by hand on a machine whose GPU cannot be used: its GPU jobs run on its CPU)
   */
  public record Listing(List<Entry> devices, List<Address> gpuNodesWithoutDevice) {

    /** Prints the listing as {@code cluster gpus} does: a table of devices, then the nodes without one. */
    public void print(PrintWriter out, String gpuRole) {
      if (devices.isEmpty()) {
        out.println("no node of the cluster has a GPU it can use");
      } else {
        out.printf(Locale.ROOT, "%-36s %3s  %-28s %11s %5s  %s%n", "NODE", "GPU", "NAME", "MEMORY", "CC", "DRIVER");
        for (Entry entry : devices) {
          out.printf(Locale.ROOT, "%-36s %3d  %-28s %7d MiB %5s  %s%n",
              entry.node(), entry.device().ordinal(), entry.device().name(), entry.device().totalMemoryBytes() >> 20,
              entry.device().computeCapability(), entry.device().driverVersion());
        }
      }
      for (Address node : gpuNodesWithoutDevice) {
        out.printf(Locale.ROOT, "%s has role '%s' but no usable GPU: its GPU jobs run on its CPU%n", node, gpuRole);
      }
      out.flush();
    }
  }

  private static final Duration POLL = Duration.ofMillis(200);
  /** The receptionist's view spreads by gossip: a listing unchanged this long is taken as complete. */
  private static final Duration SETTLE = Duration.ofSeconds(3);

  private GpuDirectory() {}

  /**
   * Collects the cluster's devices, waiting (at most {@code timeout}) until every member with
   * {@code gpuRole} has registered one, or the listing has stopped changing.
   */
  public static Listing list(ActorSystem<?> system, String gpuRole, Duration timeout) throws Exception {
    Objects.requireNonNull(system, "system");
    long deadline = System.nanoTime() + timeout.toNanos();
    Set<ActorRef<GpuActor.Command>> refs = Set.of();
    long unchangedSince = System.nanoTime();
    while (true) {
      Set<ActorRef<GpuActor.Command>> now = find(system, timeout);
      if (!now.equals(refs)) {
        refs = now;
        unchangedSince = System.nanoTime();
      }
      List<Address> gpuNodes = gpuMembers(system, gpuRole);
      boolean everyGpuNodeSeen = !gpuNodes.isEmpty() && withoutDevice(system, gpuNodes, refs).isEmpty();
      long quiet = System.nanoTime() - unchangedSince;
      if ((everyGpuNodeSeen && quiet >= POLL.toNanos() * 3) || quiet >= SETTLE.toNanos() || System.nanoTime() > deadline) {
        break;
      }
      Thread.sleep(POLL.toMillis());
    }
    List<Entry> devices = new ArrayList<>();
    for (ActorRef<GpuActor.Command> ref : refs) {
      GpuDevice device = AskPattern.<GpuActor.Command, GpuDevice>ask(ref, GpuActor.Describe::new, timeout, system.scheduler())
          .toCompletableFuture()
          .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      devices.add(new Entry(nodeOf(system, ref), device));
    }
    devices.sort(Comparator.comparing((Entry e) -> e.node().toString()).thenComparingInt(e -> e.device().ordinal()));
    return new Listing(devices, withoutDevice(system, gpuMembers(system, gpuRole), refs));
  }

  private static Set<ActorRef<GpuActor.Command>> find(ActorSystem<?> system, Duration timeout) throws Exception {
    Receptionist.Listing listing = AskPattern.<Receptionist.Command, Receptionist.Listing>ask(
            system.receptionist(), replyTo -> Receptionist.find(GpuActor.SERVICE_KEY, replyTo), timeout, system.scheduler())
        .toCompletableFuture()
        .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    return Set.copyOf(listing.getServiceInstances(GpuActor.SERVICE_KEY));
  }

  /** The nodes of {@code gpuNodes} on which no actor of {@code refs} lives. */
  private static List<Address> withoutDevice(ActorSystem<?> system, List<Address> gpuNodes, Set<ActorRef<GpuActor.Command>> refs) {
    Set<Address> withDevice = new HashSet<>();
    for (ActorRef<GpuActor.Command> ref : refs) {
      withDevice.add(nodeOf(system, ref));
    }
    List<Address> without = new ArrayList<>();
    for (Address member : gpuNodes) {
      if (!withDevice.contains(member)) {
        without.add(member);
      }
    }
    return without;
  }

  private static List<Address> gpuMembers(ActorSystem<?> system, String gpuRole) {
    List<Address> members = new ArrayList<>();
    for (Member member : Cluster.get(system).state().getMembers()) {
      if (member.hasRole(gpuRole) && (member.status() == MemberStatus.up() || member.status() == MemberStatus.weaklyUp())) {
        members.add(member.address());
      }
    }
    members.sort(Comparator.comparing(Address::toString));
    return members;
  }

  /** The node of an actor: its address, or this node's for a local actor. */
  private static Address nodeOf(ActorSystem<?> system, ActorRef<?> ref) {
    Address address = ref.path().address();
    return address.hasGlobalScope() ? address : Cluster.get(system).selfMember().address();
  }
}
