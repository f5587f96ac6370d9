package dev.tessera.chaos.harness;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.util.List;

/**
 * One thing the harness does to the cluster. Nodes are numbered from 1; a fault that names no node
 * is resolved when it happens (the coordinator's node is only known then).
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
  @JsonSubTypes.Type(value = Fault.Kill.class, name = "kill"),
  @JsonSubTypes.Type(value = Fault.Stop.class, name = "stop"),
  @JsonSubTypes.Type(value = Fault.Start.class, name = "start"),
  @JsonSubTypes.Type(value = Fault.Freeze.class, name = "freeze"),
  @JsonSubTypes.Type(value = Fault.Resume.class, name = "resume"),
  @JsonSubTypes.Type(value = Fault.KillCoordinatorNode.class, name = "kill-coordinator-node"),
  @JsonSubTypes.Type(value = Fault.StartStopped.class, name = "start-stopped"),
  @JsonSubTypes.Type(value = Fault.KillAll.class, name = "kill-all"),
  @JsonSubTypes.Type(value = Fault.Partition.class, name = "partition"),
  @JsonSubTypes.Type(value = Fault.Heal.class, name = "heal")
})
public sealed interface Fault {

  /** How the report names it: {@code kill -9 node 2}. */
  String describe();

  /** {@code kill -9} node {@code node}. */
  record Kill(int node) implements Fault {
    public String describe() {
      return "kill -9 node " + node;
    }
  }

  /** SIGTERM node {@code node}: it leaves the cluster gracefully. */
  record Stop(int node) implements Fault {
    public String describe() {
      return "stop (SIGTERM) node " + node;
    }
  }

  /** Start node {@code node} again (it rejoins through the seeds). */
  record Start(int node) implements Fault {
    public String describe() {
      return "start node " + node;
    }
  }

  /** SIGSTOP node {@code node}. */
  record Freeze(int node) implements Fault {
    public String describe() {
      return "freeze (SIGSTOP) node " + node;
    }
  }

  /** SIGCONT node {@code node} (if it was downed meanwhile, it exits and the harness starts it again). */
  record Resume(int node) implements Fault {
    public String describe() {
      return "resume (SIGCONT) node " + node;
    }
  }

  /** {@code kill -9} the node that runs the job's coordinator when the fault happens. */
  record KillCoordinatorNode() implements Fault {
    public String describe() {
      return "kill -9 the coordinator's node";
    }
  }

  /** Start every node that is not running. */
  record StartStopped() implements Fault {
    public String describe() {
      return "start every stopped node";
    }
  }

  /** {@code kill -9} every node. */
  record KillAll() implements Fault {
    public String describe() {
      return "kill -9 every node";
    }
  }

  /** Cut the network between {@code sideA} and {@code sideB} (each node keeps talking to its own side). */
  record Partition(List<Integer> sideA, List<Integer> sideB) implements Fault {
    public Partition {
      sideA = List.copyOf(sideA);
      sideB = List.copyOf(sideB);
    }

    public String describe() {
      return "partition nodes " + sideA + " from " + sideB;
    }
  }

  /** Undo every partition. */
  record Heal() implements Fault {
    public String describe() {
      return "heal the partition";
    }
  }
}
