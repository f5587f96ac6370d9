package dev.tessera.runtime.data;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.LongAdder;

/**
 * The object store's meters, read when scraped: {@code tessera_data_received_bytes_total} and
 * {@code tessera_data_sent_bytes_total} (object bytes copied from and served to other nodes),
 * {@code tessera_data_objects}, {@code tessera_data_memory_used_bytes} and {@code
 * tessera_data_disk_used_bytes}.
 */
final class DataMeters {

  private DataMeters() {}

  static void bind(MeterRegistry registry, DataStore store, DataServer server, LongAdder received) {
    FunctionCounter.builder("tessera.data.received", received, LongAdder::sum).baseUnit("bytes")
        .description("Object bytes this node's store copied from other nodes").register(registry);
    FunctionCounter.builder("tessera.data.sent", server, DataServer::sentBytes).baseUnit("bytes")
        .description("Object bytes this node's store served to other nodes").register(registry);
    Gauge.builder("tessera.data.objects", store, DataStore::objects)
        .description("Objects held in this node's store").register(registry);
    Gauge.builder("tessera.data.memory.used", store, DataStore::memoryUsed).baseUnit("bytes")
        .description("Bytes of objects this node's store holds in memory").register(registry);
    Gauge.builder("tessera.data.disk.used", store, DataStore::diskUsed).baseUnit("bytes")
        .description("Bytes of objects this node's store spilled to files").register(registry);
  }
}
