package dev.tessera.runtime.data;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Frees a direct buffer's memory at once, through {@code sun.misc.Unsafe.invokeCleaner} (module
 * {@code jdk.unsupported}, there for exactly this since Java 9), instead of when the collector
 * finds the buffer unreachable: a node whose heap is rarely collected would otherwise keep freed
 * object memory long after the store gave it up. Where that method cannot be reached, the buffer is
 * left to the collector.
 */
final class DirectMemory {

  private static final Logger log = LoggerFactory.getLogger(DirectMemory.class);
  private static final Object UNSAFE;
  private static final Method INVOKE_CLEANER;

  static {
    Object unsafe = null;
    Method invokeCleaner = null;
    try {
      Class<?> type = Class.forName("sun.misc.Unsafe");
      Field field = type.getDeclaredField("theUnsafe");
      field.setAccessible(true);
      unsafe = field.get(null);
      invokeCleaner = type.getMethod("invokeCleaner", ByteBuffer.class);
    } catch (ReflectiveOperationException | RuntimeException e) {
      log.debug("direct buffers are freed by the collector: sun.misc.Unsafe.invokeCleaner is not reachable ({})",
          e.toString());
    }
    UNSAFE = unsafe;
    INVOKE_CLEANER = invokeCleaner;
  }

  private DirectMemory() {}

  /** Frees {@code buffer}, a direct buffer from {@code allocateDirect} (not a view) that nothing uses any more. */
  static void free(ByteBuffer buffer) {
    if (INVOKE_CLEANER == null || !buffer.isDirect()) {
      return;
    }
    try {
      INVOKE_CLEANER.invoke(UNSAFE, buffer);
    } catch (ReflectiveOperationException | RuntimeException e) {
      log.debug("could not free a direct buffer at once, left to the collector: {}", e.toString());
    }
  }
}
