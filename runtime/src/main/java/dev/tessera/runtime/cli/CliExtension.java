package dev.tessera.runtime.cli;

/**
 * A subcommand of the {@code cluster} tool contributed by another module, found with {@link
 * java.util.ServiceLoader} (list the class in {@code META-INF/services/dev.tessera.runtime.cli.CliExtension}).
 * The persistence module adds {@code cluster jobs} this way.
 *
 * <pre>{@code
 * public final class JobsCli implements CliExtension {
 *   public Object command() { return new JobsCommand(); }   // a picocli @Command
 * }
 * }</pre>
 */
public interface CliExtension {

  /** A new instance of a picocli {@code @Command} class. */
  Object command();
}
