package dev.tessera.runtime.data;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The transfers of objects into one node's store: one per object however many read it at once,
 * and the prefetches of objects that tasks queued on the node will read.
 *
 * <p>A read joins the object's transfer or starts one. A job's copy (a read inside a task, or a
 * prefetch) stays in the store for the job; a copy for readers outside any job is transient,
 * dropped when its last reader is done. Prefetches wait their turn, {@link #PREFETCHES_AT_ONCE}
 * at a time, so that the reads of tasks starting now share the link with one prefetch, not with
 * every queued task's data; a read of an object whose prefetch still waits starts it at once.
 *
 * <p>Thread safety: any thread.
 */
final class SharedFetches {

  private static final Logger log = LoggerFactory.getLogger(SharedFetches.class);
  private static final int PREFETCHES_AT_ONCE = 1;
  /** Jobs remembered as ended here, for prefetches that land late: the last this many. */
  private static final int ENDED_JOBS_KEPT = 4096;

  /** Copies an object into the store under a scope (a job, or {@link ObjectStore#TRANSIENT}); throws if it cannot. */
  @FunctionalInterface
  interface Transfer {
    ObjectStore.Entry copyHere(DataRef<?> ref, String scope);
  }

  /** A transfer in progress (or, for a prefetch, waiting its turn), and how many readers wait on it. */
  private static final class Fetch {
    final DataRef<?> ref;
    final CompletableFuture<ObjectStore.Entry> done = new CompletableFuture<>();
    final AtomicInteger readers = new AtomicInteger();
    final boolean transientCopy;
    final AtomicBoolean started = new AtomicBoolean();
    Runnable transfer;

    /** @param scope the job the copy is for; null for a transient copy */
    Fetch(DataRef<?> ref, String scope) {
      this.ref = ref;
      this.transientCopy = scope == null;
    }
  }

  private final ObjectStore store;
  private final Executor io;
  private final Transfer transfer;
  private final ConcurrentHashMap<String, Fetch> fetching = new ConcurrentHashMap<>();
  private final ConcurrentLinkedQueue<Fetch> prefetches = new ConcurrentLinkedQueue<>();
  private final AtomicInteger prefetchesRunning = new AtomicInteger();
  private final AtomicLong transfersStarted = new AtomicLong();
  /** Jobs whose objects this node freed lately: a prefetch for one that lands after is freed as it lands. */
  private final Set<String> endedJobs = Collections.newSetFromMap(new LinkedHashMap<>(16, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
      return size() > ENDED_JOBS_KEPT;
    }
  });

  SharedFetches(ObjectStore store, Executor io, Transfer transfer) {
    this.store = Objects.requireNonNull(store, "store");
    this.io = Objects.requireNonNull(io, "io");
    this.transfer = Objects.requireNonNull(transfer, "transfer");
  }

  /**
   * Reads the object once it is here, joining its transfer or starting one; the copy is kept for
   * {@code scope}'s job, or is transient (null scope) and dropped after its readers. Runs {@code
   * reader} on the store's threads.
   */
  <V> CompletionStage<V> read(DataRef<?> ref, String scope, Function<ObjectStore.Entry, V> reader) {
    while (true) {
      Fetch fetch = fetching.computeIfAbsent(ref.id(), id -> newFetch(ref, scope));
      start(fetch); // a prefetch still waiting its turn starts now: a reader waits for it
      int readers = fetch.readers.getAndIncrement();
      if (readers < 0) {
        continue; // that fetch's readers were done and it was dropped: start another
      }
      return fetch.done.thenApplyAsync(reader, io).whenComplete((v, e) -> {
        if (fetch.readers.decrementAndGet() == 0 && fetch.transientCopy && !fetch.done.isCompletedExceptionally()
            && fetch.readers.compareAndSet(0, Integer.MIN_VALUE)) {
          store.release(ref.id()); // before the fetch goes: the next one makes a copy of its own
          fetching.remove(ref.id(), fetch);
        }
      });
    }
  }

  /**
   * Starts fetching, for job {@code jobId}, an object a task queued on this node will read (see the
   * class comment); nothing if the node holds it, fetches it already, or the job ended here. A
   * failure is only logged: the task's own read tries again and reports it.
   */
  void prefetch(DataRef<?> ref, String jobId) {
    Objects.requireNonNull(jobId, "jobId");
    if (store.lookup(ref.id()) != null || fetching.containsKey(ref.id()) || ended(jobId)) {
      return;
    }
    Fetch[] made = new Fetch[1];
    Fetch fetch = fetching.computeIfAbsent(ref.id(), id -> made[0] = newFetch(ref, jobId));
    if (made[0] == fetch) {
      prefetches.add(fetch);
      startPrefetches();
    }
    fetch.done.whenComplete((entry, error) -> {
      if (error != null) {
        log.debug("prefetching {} for job {} failed; its task's read will try again: {}", ref, jobId, error.toString());
      } else if (ended(jobId)) {
        store.releaseScope(jobId); // landed after the job ended here
      }
    });
  }

  /** The job's objects are being freed on this node: a prefetch for it landing from now on is freed too. */
  void jobEnded(String jobId) {
    synchronized (endedJobs) {
      endedJobs.add(jobId);
    }
  }

  /** The objects being fetched now. */
  List<DataRef<?>> inFlight() {
    List<DataRef<?>> now = new ArrayList<>();
    fetching.forEach((id, fetch) -> {
      if (fetch.started.get() && !fetch.done.isDone()) {
        now.add(fetch.ref);
      }
    });
    return now;
  }

  /** Transfers begun so far. */
  long transfersStarted() {
    return transfersStarted.get();
  }

  private boolean ended(String jobId) {
    synchronized (endedJobs) {
      return endedJobs.contains(jobId);
    }
  }

  /** Starts the next waiting prefetches while fewer than {@link #PREFETCHES_AT_ONCE} run. */
  private void startPrefetches() {
    while (true) {
      int running = prefetchesRunning.get();
      if (running >= PREFETCHES_AT_ONCE || prefetches.isEmpty()) {
        return;
      }
      if (!prefetchesRunning.compareAndSet(running, running + 1)) {
        continue;
      }
      // One whose job ended while it waited still runs (a reader may have joined it meanwhile) and
      // is freed as it lands: a worker holds at most twice its capacity of tasks, so few do.
      Fetch next = prefetches.poll();
      if (next == null || !start(next)) { // none left, or a reader started it already
        prefetchesRunning.decrementAndGet();
        continue;
      }
      next.done.whenComplete((entry, error) -> {
        prefetchesRunning.decrementAndGet();
        startPrefetches();
      });
    }
  }

  /** Starts a fetch unless it has started; false if it had. */
  private boolean start(Fetch fetch) {
    if (!fetch.started.compareAndSet(false, true)) {
      return false;
    }
    transfersStarted.incrementAndGet();
    io.execute(fetch.transfer);
    return true;
  }

  /** A fetch of the object under {@code scope} (null: a transient copy), not started yet. */
  private Fetch newFetch(DataRef<?> ref, String scope) {
    Fetch fetch = new Fetch(ref, scope);
    fetch.transfer = () -> {
      ObjectStore.Entry entry = null;
      RuntimeException failure = null;
      try {
        entry = transfer.copyHere(ref, scope == null ? ObjectStore.TRANSIENT : scope);
      } catch (RuntimeException e) {
        failure = e;
      }
      // Tidy up before anyone hears: a reader told of a failure may try again at once, and one
      // told of a job's copy reads it from the store from now on.
      if (failure != null || scope != null) {
        fetching.remove(ref.id(), fetch);
      }
      if (failure != null) {
        fetch.done.completeExceptionally(failure);
      } else {
        fetch.done.complete(entry);
      }
    };
    return fetch;
  }
}
