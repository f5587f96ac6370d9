package dev.tessera.samples.matmul;

import dev.tessera.gpu.kernels.Matrix;
import java.lang.ref.SoftReference;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * The panels a node has read into arrays, so that its tasks that multiply the same panel read it
 * once. The object store already fetches a panel once per node and keeps it for the job, but each
 * read copies it into a new {@code float[]}: a copy of tens of MB, and as much garbage, for every
 * task that uses it.
 *
 * <p>Panels are known by their object's id, which names one put (so one job's panel). At most
 * {@code maxBytes} of arrays are kept, the least recently used dropped first; they are held
 * softly, so the collector takes them back before the heap runs out.
 *
 * <p>Thread safety: any thread; tasks that ask for the same panel at once share one read.
 */
final class PanelCache {

  /** A panel being read (loading), or read (panel, until the collector clears it). */
  private static final class Entry {
    final long bytes;
    CompletableFuture<Matrix> loading;
    SoftReference<Matrix> panel;

    Entry(long bytes, CompletableFuture<Matrix> loading) {
      this.bytes = bytes;
      this.loading = loading;
    }
  }

  private final long maxBytes;
  private final java.util.function.Predicate<String> stillStored;
  private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);
  private long bytes;

  /**
   * @param stillStored whether the node's object store still holds an object: a panel whose
   *     object is gone (its job ended here, and freed its copies) is dropped at the next read, so
   *     that a finished job's panels do not stay reachable (softly) into the next job, where each
   *     full collection would move them
   */
  PanelCache(long maxBytes, java.util.function.Predicate<String> stillStored) {
    this.maxBytes = maxBytes;
    this.stillStored = stillStored;
  }

  /** The panel, read with {@code load} unless this node has it already. */
  CompletableFuture<Matrix> get(MatrixTasks.StoredMatrix stored, Function<MatrixTasks.StoredMatrix, CompletableFuture<Matrix>> load) {
    String id = stored.ref().id();
    CompletableFuture<Matrix> loading = new CompletableFuture<>();
    synchronized (this) {
      dropPanelsNoLongerStored();
      Entry entry = entries.get(id);
      if (entry != null) {
        Matrix panel = entry.panel == null ? null : entry.panel.get();
        if (panel != null) {
          return CompletableFuture.completedFuture(panel);
        }
        if (entry.loading != null) {
          return entry.loading;
        }
        remove(id); // cleared by the collector: read it again
      }
      Entry added = new Entry(stored.ref().size(), loading);
      entries.put(id, added);
      bytes += added.bytes;
      evictBeyondLimit();
    }
    load.apply(stored).whenComplete((panel, error) -> {
      synchronized (this) {
        Entry entry = entries.get(id);
        if (entry != null && entry.loading == loading) {
          if (error != null) {
            remove(id); // the next task tries again
          } else {
            entry.panel = new SoftReference<>(panel);
            entry.loading = null;
          }
        }
      }
      if (error != null) {
        loading.completeExceptionally(error);
      } else {
        loading.complete(panel);
      }
    });
    return loading;
  }

  /** Drops the read panels whose objects the node's store no longer holds. */
  private void dropPanelsNoLongerStored() {
    for (Iterator<Map.Entry<String, Entry>> it = entries.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, Entry> next = it.next();
      if (next.getValue().loading == null && !stillStored.test(next.getKey())) {
        bytes -= next.getValue().bytes;
        it.remove();
      }
    }
  }

  /** Drops the least recently used panels while more than {@code maxBytes} are kept (never the newest). */
  private void evictBeyondLimit() {
    Iterator<Map.Entry<String, Entry>> eldest = entries.entrySet().iterator();
    while (bytes > maxBytes && entries.size() > 1) {
      bytes -= eldest.next().getValue().bytes;
      eldest.remove();
    }
  }

  private void remove(String id) {
    Entry removed = entries.remove(id);
    if (removed != null) {
      bytes -= removed.bytes;
    }
  }
}
