package dev.tessera.work.engine;

import dev.tessera.runtime.dashboard.JobBoard;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Puts a job's take-backs on the dashboard's timeline ({@link JobBoard}), each with its recovery
 * time: "job J: 12 tasks taken back from NODE (worker killed)", then, once every one of those tasks
 * has ended (run again elsewhere, or its late result accepted), "... all 12 ended again after 2.3
 * s". Runs on the coordinator's thread.
 */
final class TakeBackTimeline implements TaskDispatcher.Events {

  private static final class Open {
    final String eventId;
    final String text;
    final long atMillis;
    final Set<Integer> tasks;
    final int count;

    Open(String eventId, String text, Set<Integer> tasks) {
      this.eventId = eventId;
      this.text = text;
      this.atMillis = System.currentTimeMillis();
      this.tasks = tasks;
      this.count = tasks.size();
    }
  }

  private final JobBoard board;
  private final String jobId;
  private final List<Open> open = new ArrayList<>();
  private int takenBack;

  TakeBackTimeline(JobBoard board, String jobId) {
    this.board = board;
    this.jobId = jobId;
  }

  @Override
  public void takenBack(TaskDispatcher.TakeBack reason, Collection<Integer> tasks, String node) {
    takenBack += tasks.size();
    String text = String.format("job %s: %d task%s taken back from %s (%s)", jobId, tasks.size(),
        tasks.size() == 1 ? "" : "s", node, reason.label().replace('_', ' ').toLowerCase(Locale.ROOT));
    open.add(new Open(board.event("taken-back", node, text, -1), text, new HashSet<>(tasks)));
  }

  /** A task ended (its result accepted, or failed for good): a take-back whose tasks all ended has recovered. */
  void ended(int task) {
    if (open.isEmpty()) {
      return;
    }
    for (Iterator<Open> it = open.iterator(); it.hasNext(); ) {
      Open o = it.next();
      if (o.tasks.remove(task) && o.tasks.isEmpty()) {
        long millis = System.currentTimeMillis() - o.atMillis;
        board.recovered(o.eventId, String.format("%s; all %d ran again within %.1f s", o.text, o.count, millis / 1000.0),
            millis);
        it.remove();
      }
    }
  }

  /** Tasks taken back so far. */
  int takenBack() {
    return takenBack;
  }
}
