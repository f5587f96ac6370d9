package dev.tessera.runtime.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import java.util.Arrays;
import org.slf4j.Marker;

/**
 * A Logback filter that lets the same WARN (same logger, same text) through once a minute. Pekko's
 * remoting repeats some warnings for every retry of a peer: a node of another cluster name is
 * "Dropped" several times a second for as long as it tries. Tessera's own line about it
 * ({@code ForeignNodeWatch}) is limited the same way and says more.
 *
 * <pre>{@code
 * <turboFilter class="dev.tessera.runtime.logging.RepeatedWarningsFilter">
 *   <loggerPrefix>org.apache.pekko.remote</loggerPrefix>
 * </turboFilter>
 * }</pre>
 *
 * <p>Thread safety: Logback calls it from every logging thread; {@link OncePerInterval} is thread
 * safe. Checks without a message ({@code isWarnEnabled()}) are left alone, so Pekko still
 * publishes the warning to its event stream, where {@code ForeignNodeWatch} reads it.
 */
public final class RepeatedWarningsFilter extends TurboFilter {

  private final OncePerInterval limit = OncePerInterval.perMinute();
  private String loggerPrefix = "";

  /** Only loggers whose name starts with this are limited (Logback sets it from the XML). */
  public void setLoggerPrefix(String loggerPrefix) {
    this.loggerPrefix = loggerPrefix == null ? "" : loggerPrefix;
  }

  @Override
  public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
    if (format == null || level == null || !level.isGreaterOrEqual(Level.WARN)
        || !logger.getName().startsWith(loggerPrefix)) {
      return FilterReply.NEUTRAL;
    }
    String key = logger.getName() + " " + format + (params == null ? "" : Arrays.deepToString(params));
    return limit.occurred(key).isPresent() ? FilterReply.NEUTRAL : FilterReply.DENY;
  }
}
