package dev.tessera.samples.gpt;

import dev.tessera.runtime.data.Data;
import dev.tessera.runtime.data.DataRef;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;

/**
 * Pipeline-parallel generation: the model's layers are split into consecutive ranges, each loaded
 * into a {@link GptStage} on a node of its own; every prompt's text goes through the stages in
 * order, the last sends back the next token's logits, this actor picks the token (with the
 * prompt's own {@link TokenSampler}) and sends the grown text in again. All prompts are in the
 * pipeline at once, so the stages work on different texts at the same time.
 *
 * <p>The tokens equal {@link Completion#complete} on one node with the same parameters and
 * sampler seeds: each stage runs exactly the code the single node runs for its layers, and the
 * residual stream travels as exact bits.
 *
 * <p>A stage that dies (death watch, the Receptionist), says it cannot go on, or leaves a text
 * without an answer for the token timeout starts a new <em>layout</em>: stages are chosen again
 * from those the Receptionist lists, loaded, and every unfinished text is sent in again from its
 * last token; answers of the old layout are ignored (epochs), and no token is drawn twice, so the
 * text is the same.
 *
 * <p>Threading: an actor; the listener is called and {@code done} completed from its thread.
 */
public final class PipelineGeneration extends AbstractBehavior<PipelineGeneration.Command> {

  /**
   * What to generate.
   *
   * @param prompts the prompts' tokens; prompt {@code i} is sampled with seed {@code seed + i}
   * @param maxTokens tokens to add to each prompt at most
   * @param stop the token after which a text is finished (-1: none)
   * @param stages how many stages to split the layers into (at most the number of layers)
   * @param tokenTimeout how long a text may wait for its next token before the layout is changed
   */
  public record Plan(GptConfig config, float[] params, List<int[]> prompts, int maxTokens, int stop, double temperature,
      long seed, int stages, Duration tokenTimeout) {
    public Plan {
      Objects.requireNonNull(config, "config");
      if (params.length != config.parameterCount()) {
        throw new IllegalArgumentException("parameters of another model: " + params.length + " for " + config);
      }
      if (prompts.isEmpty() || prompts.stream().anyMatch(p -> p.length == 0)) {
        throw new IllegalArgumentException("give at least one prompt, none empty");
      }
      prompts = List.copyOf(prompts);
      if (maxTokens < 1) {
        throw new IllegalArgumentException("--max-tokens must be at least 1, got " + maxTokens);
      }
      if (stages < 1 || stages > config.layers()) {
        throw new IllegalArgumentException("--stages must be 1 to the model's " + config.layers() + " layers, got " + stages);
      }
      new TokenSampler(temperature, seed); // checks the temperature
    }

    /** The layers of stage {@code s}: {@code [from, to)}. */
    int[] layersOf(int s) {
      return new int[] {s * config.layers() / stages, (s + 1) * config.layers() / stages};
    }
  }

  /** Told every token as it is chosen, from the generator's thread. */
  @FunctionalInterface
  public interface TokenListener {
    void token(int prompt, int token);
  }

  /**
   * How a generation ended.
   *
   * @param completions the tokens added to each prompt
   * @param layout where the layers ran: one line per stage, of the last layout
   * @param layouts how many layouts it took (1 if no stage was lost)
   */
  public record Outcome(List<int[]> completions, List<String> layout, int layouts, double seconds) {}

  public sealed interface Command permits FromStage, StagesChanged, StageGone, Tick {}

  private record FromStage(GptStage.Reply reply) implements Command {}

  private record StagesChanged(Receptionist.Listing listing) implements Command {}

  private record StageGone(ActorRef<GptStage.Command> stage) implements Command {}

  private enum Tick implements Command { INSTANCE }

  private static final Duration TICK = Duration.ofMillis(200);
  /** Layouts after which the generation gives up. */
  static final int MAX_LAYOUTS = 6;

  private final Plan plan;
  private final TokenListener listener;
  private final CompletableFuture<Outcome> done;
  private final ActorRef<GptStage.Reply> replies;
  private final long begun = System.nanoTime();

  private final Set<ActorRef<GptStage.Command>> known = new HashSet<>();
  private final Set<ActorRef<GptStage.Command>> failed = new HashSet<>();
  private List<ActorRef<GptStage.Command>> chosen = List.of();
  private final Set<ActorRef<GptStage.Command>> loaded = new HashSet<>();
  /** The fingerprint of what each chosen stage was sent, in stage order. */
  private long[] fingerprints = new long[0];
  /** The chosen stages' parameters, put in this node's store until every stage has read its own. */
  private final List<DataRef<byte[]>> parameters = new ArrayList<>();
  private long epoch;
  private int layouts;
  /** When the current layout (or, before the first, the generation) started: its load timeout runs from here. */
  private long layoutStarted = System.nanoTime();
  private boolean finished;

  // Per prompt.
  private final int[][] texts;
  private final int[] generated;
  private final boolean[] complete;
  private final TokenSampler[] samplers;
  private final long[] sentAt;

  private PipelineGeneration(ActorContext<Command> context, Plan plan, TokenListener listener,
      CompletableFuture<Outcome> done) {
    super(context);
    context.setLoggerName(PipelineGeneration.class);
    this.plan = plan;
    this.listener = listener;
    this.done = done;
    this.replies = context.messageAdapter(GptStage.Reply.class, FromStage::new);
    int n = plan.prompts().size();
    texts = new int[n][];
    generated = new int[n];
    complete = new boolean[n];
    samplers = new TokenSampler[n];
    sentAt = new long[n];
    for (int i = 0; i < n; i++) {
      texts[i] = plan.prompts().get(i).clone();
      samplers[i] = new TokenSampler(plan.temperature(), plan.seed() + i);
    }
  }

  public static Behavior<Command> create(Plan plan, TokenListener listener, CompletableFuture<Outcome> done) {
    Objects.requireNonNull(listener, "listener");
    return Behaviors.setup(context -> Behaviors.withTimers((TimerScheduler<Command> timers) -> {
      timers.startTimerWithFixedDelay(Tick.INSTANCE, TICK);
      context.getSystem().receptionist().tell(Receptionist.subscribe(GptStage.SERVICE_KEY,
          context.messageAdapter(Receptionist.Listing.class, StagesChanged::new)));
      return new PipelineGeneration(context, plan, listener, done);
    }));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(FromStage.class, from -> finished ? this : onReply(from.reply()))
        .onMessage(StagesChanged.class, this::onListing)
        .onMessage(StageGone.class, this::onGone)
        .onMessage(Tick.class, tick -> finished ? this : onTick())
        .build();
  }

  private Behavior<Command> onGone(StageGone gone) {
    known.remove(gone.stage());
    if (finished || !chosen.contains(gone.stage())) {
      return this;
    }
    failed.add(gone.stage());
    return newLayout("the stage " + gone.stage().path() + " is gone");
  }

  private Behavior<Command> onListing(StagesChanged changed) {
    Set<ActorRef<GptStage.Command>> now = changed.listing().getServiceInstances(GptStage.SERVICE_KEY);
    for (ActorRef<GptStage.Command> stage : now) {
      if (known.add(stage)) {
        getContext().watchWith(stage, new StageGone(stage));
      }
    }
    known.retainAll(now);
    if (finished) {
      return this;
    }
    if (chosen.stream().anyMatch(s -> !known.contains(s))) {
      return newLayout("a stage left the Receptionist's listing (its node left or is down)");
    }
    if (chosen.isEmpty() && known.size() >= plan.stages()) {
      return newLayout(null);
    }
    return this;
  }

  /** Chooses stages, loads them; the texts go in once every stage is loaded. */
  private Behavior<Command> newLayout(String why) {
    if (why != null) {
      getContext().getLog().warn("generation: {}; choosing the stages again", why);
    }
    if (layouts >= MAX_LAYOUTS) {
      return fail(new IllegalStateException("generation: gave up after " + MAX_LAYOUTS + " layouts of the stages; the"
          + " last ended because " + why));
    }
    List<ActorRef<GptStage.Command>> candidates = new ArrayList<>(known);
    // Stages that never failed first, then by address: the same layout on every run.
    candidates.sort(Comparator.comparing((ActorRef<GptStage.Command> s) -> failed.contains(s))
        .thenComparing(s -> s.path().toString()));
    layoutStarted = System.nanoTime();
    if (candidates.size() < plan.stages()) {
      chosen = List.of();
      getContext().getLog().info("generation: {} of {} stages found; waiting for more", candidates.size(), plan.stages());
      return this;
    }
    layouts++;
    long previous = epoch;
    do {
      epoch = ThreadLocalRandom.current().nextLong();
    } while (epoch == 0 || epoch == previous);
    chosen = List.copyOf(candidates.subList(0, plan.stages()));
    loaded.clear();
    releaseParameters();
    fingerprints = new long[chosen.size()];
    for (int s = 0; s < chosen.size(); s++) {
      int[] layers = plan.layersOf(s);
      float[] values = GptStage.slice(plan.config(), plan.params(), layers[0], layers[1]);
      fingerprints[s] = ExactFloats.fingerprint(values);
      DataRef<byte[]> stored = Data.put(getContext().getSystem(), ExactFloats.toBytes(values));
      parameters.add(stored);
      chosen.get(s).tell(new GptStage.Load(epoch, plan.config(), layers[0], layers[1], stored, replies));
    }
    return this;
  }

  private Behavior<Command> onReply(GptStage.Reply reply) {
    if (reply instanceof GptStage.Loaded l && l.epoch() == epoch) {
      int s = chosen.indexOf(l.stage());
      if (s < 0) {
        return this;
      }
      if (l.fingerprint() != fingerprints[s]) {
        return fail(new IllegalStateException("stage " + l.stage().path() + " loaded other parameters than were sent"));
      }
      loaded.add(l.stage());
      if (loaded.size() == chosen.size()) {
        releaseParameters();
        for (int i = 0; i < texts.length; i++) {
          if (!complete[i]) {
            send(i);
          }
        }
      }
    } else if (reply instanceof GptStage.NextLogits next && next.epoch() == epoch) {
      int i = next.sequence();
      if (i < 0 || i >= texts.length || complete[i] || next.length() != texts[i].length) {
        return this; // an answer sent again, or for a text already grown
      }
      int token = samplers[i].next(next.logits());
      texts[i] = Arrays.copyOf(texts[i], texts[i].length + 1);
      texts[i][texts[i].length - 1] = token;
      generated[i]++;
      listener.token(i, token);
      if (token == plan.stop() || generated[i] >= plan.maxTokens()) {
        complete[i] = true;
        return allComplete() ? finish() : this;
      }
      send(i);
    } else if (reply instanceof GptStage.NotReady notReady && notReady.epoch() == epoch) {
      failed.add(notReady.stage());
      return newLayout("stage " + notReady.stage().path() + " " + notReady.reason());
    }
    return this;
  }

  private void send(int i) {
    int[] window = Completion.window(texts[i], plan.config().context());
    chosen.get(0).tell(new GptStage.Forward(epoch, i, texts[i].length, window, new byte[0],
        List.copyOf(chosen.subList(1, chosen.size())), replies));
    sentAt[i] = System.nanoTime();
  }

  private boolean allComplete() {
    for (boolean c : complete) {
      if (!c) {
        return false;
      }
    }
    return true;
  }

  private Behavior<Command> onTick() {
    long now = System.nanoTime();
    long timeout = plan.tokenTimeout().toNanos();
    if (chosen.isEmpty() || loaded.size() < chosen.size()) {
      if (now - layoutStarted > timeout) {
        return chosen.isEmpty()
            ? fail(new IllegalStateException(String.format("generation: only %d of the %d stages wanted were found within"
                + " %.0f s (a stage runs on each node with the stage role)", known.size(), plan.stages(),
                plan.tokenTimeout().toMillis() / 1000.0)))
            : newLayout("not every stage was loaded within " + plan.tokenTimeout().toMillis() / 1000.0 + " s");
      }
      return this;
    }
    for (int i = 0; i < texts.length; i++) {
      if (!complete[i] && now - sentAt[i] > timeout) {
        return newLayout(String.format("text %d waited %.1f s for its next token", i, timeout / 1e9));
      }
    }
    return this;
  }

  private Behavior<Command> finish() {
    finished = true;
    release();
    List<String> layout = new ArrayList<>();
    for (int s = 0; s < chosen.size(); s++) {
      int[] layers = plan.layersOf(s);
      layout.add(String.format("layers %d-%d on %s", layers[0], layers[1] - 1, chosen.get(s).path().address()));
    }
    List<int[]> completions = new ArrayList<>();
    for (int i = 0; i < texts.length; i++) {
      completions.add(Arrays.copyOfRange(texts[i], plan.prompts().get(i).length, texts[i].length));
    }
    done.complete(new Outcome(completions, layout, layouts, (System.nanoTime() - begun) / 1e9));
    return Behaviors.stopped();
  }

  private Behavior<Command> fail(RuntimeException error) {
    finished = true;
    release();
    done.completeExceptionally(error);
    return Behaviors.stopped();
  }

  private void release() {
    for (ActorRef<GptStage.Command> stage : chosen) {
      stage.tell(new GptStage.Release(epoch));
    }
    releaseParameters();
  }

  private void releaseParameters() {
    parameters.forEach(stored -> Data.release(getContext().getSystem(), stored));
    parameters.clear();
  }
}
