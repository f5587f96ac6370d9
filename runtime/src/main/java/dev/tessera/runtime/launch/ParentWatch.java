package dev.tessera.runtime.launch;

import dev.tessera.runtime.node.ComputeNode;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stops a node within a few seconds of the process that started it ({@code cluster local}, a
 * sample, a test) dying, even by {@code kill -9}, so that no orphaned node keeps a port and its
 * membership.
 *
 * <p>Why not {@link ProcessHandle#onExit()}: for a process that is not our child the JDK polls it
 * with a sleep that grows by 30 ms per look, up to 5 s, so a parent that had run for a few minutes
 * was noticed seconds late. This watch looks every {@link #POLL}. Once the parent is gone the node
 * leaves the cluster gracefully, but its siblings are all leaving at the same moment (the leader
 * among them), so the leave is given {@link #LEAVE_LIMIT} and then the JVM is halted: nobody is
 * left to wait for it.
 *
 * <p>The watch starts before the node does: a node takes seconds to start (its plugins wait for
 * the journal, which may have been its parent's), and a parent that dies meanwhile halts the JVM
 * at once.
 *
 * <p>Threading: one daemon thread per watch, which only polls, then leaves and waits; {@link
 * #started} may be called from any thread.
 */
final class ParentWatch {

  /** How often the parent is looked at. */
  static final Duration POLL = Duration.ofMillis(100);
  /** How long a graceful leave may take once the parent is gone, before the JVM is halted. */
  static final Duration LEAVE_LIMIT = Duration.ofSeconds(2);

  private static final Logger log = LoggerFactory.getLogger(ParentWatch.class);

  private final CompletableFuture<ComputeNode> node = new CompletableFuture<>();

  /** Starts watching {@code pid} on a daemon thread; call {@link #started} once the node runs. */
  static ParentWatch start(long pid) {
    ParentWatch watch = new ParentWatch();
    Optional<ProcessHandle> parent = ProcessHandle.of(pid);
    Thread thread = new Thread(() -> watch.watch(pid, parent), "tessera-parent-watch");
    thread.setDaemon(true);
    thread.start();
    return watch;
  }

  /** The node has started: from now on the parent's death makes it leave rather than halt. */
  void started(ComputeNode started) {
    node.complete(started);
  }

  private ParentWatch() {}

  private void watch(long pid, Optional<ProcessHandle> parent) {
    try {
      // isAlive also compares the start time, so a reused pid does not count as the parent.
      while (parent.isPresent() && parent.get().isAlive()) {
        Thread.sleep(POLL.toMillis());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    long noticed = System.nanoTime();
    ComputeNode node = this.node.getNow(null);
    if (node == null) {
      log.warn("parent process {} is gone while this node starts: exiting", pid);
      Runtime.getRuntime().halt(ExitCodes.FAILURE);
    }
    log.warn("parent process {} is gone: leaving the cluster (at most {} s)", pid, LEAVE_LIMIT.toSeconds());
    try {
      node.leave().toCompletableFuture().get(LEAVE_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
      long left = LEAVE_LIMIT.toNanos() - (System.nanoTime() - noticed);
      node.whenTerminated().toCompletableFuture().get(Math.max(1, left), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    } catch (ExecutionException | TimeoutException e) {
      log.warn("node did not leave within {} s of its parent's death; exiting now", LEAVE_LIMIT.toSeconds());
      // halt, not exit: CoordinatedShutdown's JVM hook would wait for the leave under way.
      Runtime.getRuntime().halt(ExitCodes.FAILURE);
    }
  }
}
