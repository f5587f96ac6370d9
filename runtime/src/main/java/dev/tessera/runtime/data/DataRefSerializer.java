package dev.tessera.runtime.data;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import java.io.IOException;

/**
 * Writes a {@link DataRef} with its record fields (what Jackson reads back through the record's
 * constructor) and tells {@link RefsSeen} that it was written: the worker learns which objects a
 * task's result names, without walking the result itself.
 */
@SuppressWarnings({"rawtypes", "serial"})
final class DataRefSerializer extends StdSerializer<DataRef> {

  DataRefSerializer() {
    super(DataRef.class);
  }

  @Override
  public void serialize(DataRef ref, JsonGenerator out, SerializerProvider provider) throws IOException {
    RefsSeen.saw(ref);
    out.writeStartObject();
    out.writeStringField("id", ref.id());
    out.writeNumberField("size", ref.size());
    out.writeStringField("hash", ref.hash());
    out.writeArrayFieldStart("holders");
    for (Object h : ref.holders()) {
      DataRef.Holder holder = (DataRef.Holder) h;
      out.writeStartObject();
      out.writeStringField("node", holder.node());
      out.writeStringField("endpoint", holder.endpoint());
      out.writeEndObject();
    }
    out.writeEndArray();
    if (ref.lineage() != null) {
      out.writeObjectFieldStart("lineage");
      out.writeStringField("jobId", ref.lineage().jobId());
      out.writeNumberField("taskId", ref.lineage().taskId());
      out.writeNumberField("index", ref.lineage().index());
      out.writeEndObject();
    }
    out.writeEndObject();
  }
}
