package dev.tessera.work.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * Finds where a task's input data lives: the node holding most bytes of the objects its input
 * refers to ({@code DataRef}s inside the serialized input), so that the dispatcher offers the task
 * to that node's worker first. It reads the input's CBOR as a tree (no class is named or made), and
 * only inputs that contain a ref's {@code holders} field are read at all: a job without refs pays
 * one scan of its small inputs' bytes.
 *
 * <p>Thread safety: stateless; safe from any thread.
 */
public final class InputRefs {

  /** Refs to less data than this do not pin a task to a node: moving them costs less than waiting. */
  public static final long MIN_PREFERRED_BYTES = 64 * 1024;

  private static final ObjectMapper CBOR = new ObjectMapper(new CBORFactory());
  /** A CBOR text string "holders": major type 3, length 7. */
  private static final byte[] MARKER = marker();

  private InputRefs() {}

  /**
   * The cluster address ({@code Address.toString()}) of the node that owns most of the bytes the
   * input refers to, or null when it refers to none, to less than {@link #MIN_PREFERRED_BYTES}, or
   * cannot be read.
   */
  public static String preferredNode(byte[] input) {
    Map<String, Long> bytesByNode = new HashMap<>();
    for (dev.tessera.runtime.data.DataRef<?> ref : refsIn(input)) {
      bytesByNode.merge(ref.owner().node(), ref.size(), Long::sum);
    }
    String best = null;
    long most = MIN_PREFERRED_BYTES - 1;
    for (Map.Entry<String, Long> node : bytesByNode.entrySet()) {
      if (node.getValue() > most) {
        most = node.getValue();
        best = node.getKey();
      }
    }
    return best;
  }

  /**
   * The refs inside serialized bytes (a task's input or result), found the same way: read as a
   * tree, only when the bytes contain a ref's {@code holders} field. Empty when none or unreadable.
   */
  public static java.util.List<dev.tessera.runtime.data.DataRef<?>> refsIn(byte[] bytes) {
    java.util.List<dev.tessera.runtime.data.DataRef<?>> refs = new java.util.ArrayList<>(0);
    if (bytes == null || indexOf(bytes, MARKER) < 0) {
      return refs;
    }
    try {
      collectRefs(CBOR.readTree(bytes), refs);
    } catch (IOException | IllegalArgumentException e) {
      return java.util.List.of();
    }
    return refs;
  }

  private static void collectRefs(JsonNode node, java.util.List<dev.tessera.runtime.data.DataRef<?>> refs)
      throws IOException {
    if (node.isObject()) {
      if (node.has("holders") && node.has("id") && node.has("hash") && node.has("size")) {
        refs.add(CBOR.treeToValue(node, dev.tessera.runtime.data.DataRef.class));
        return;
      }
      for (JsonNode child : (Iterable<JsonNode>) node::elements) {
        collectRefs(child, refs);
      }
    } else if (node.isArray()) {
      for (JsonNode child : node) {
        collectRefs(child, refs);
      }
    }
  }

  private static byte[] marker() {
    byte[] text = "holders".getBytes(StandardCharsets.US_ASCII);
    byte[] marker = new byte[text.length + 1];
    marker[0] = (byte) (0x60 | text.length);
    System.arraycopy(text, 0, marker, 1, text.length);
    return marker;
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i <= haystack.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
