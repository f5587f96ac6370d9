package dev.tessera.runtime.dashboard;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.actor.typed.Props;

/**
 * The node's {@link DashboardActor}, started with the node ({@code ComputeNode}) so that it
 * reports to the other nodes' dashboards whether or not anyone looks at its own.
 */
public final class Dashboard implements Extension {

  private final ActorRef<DashboardActor.Command> actor;

  private Dashboard(ActorSystem<?> system) {
    this.actor = system.systemActorOf(DashboardActor.create(), "tessera-dashboard", Props.empty());
  }

  public static Dashboard get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  static final ExtensionId<Dashboard> ID = new ExtensionId<>() {
    @Override
    public Dashboard createExtension(ActorSystem<?> system) {
      return new Dashboard(system);
    }
  };

  public ActorRef<DashboardActor.Command> actor() {
    return actor;
  }
}
