package dev.lanyard.tls;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.lanyard.tls.workloadapi.GrpcDeframer;
import dev.lanyard.tls.workloadapi.WorkloadApiException;
import dev.lanyard.tls.workloadapi.proto.Workload;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Properties of reading what the Workload API sends, for any bytes: the gRPC deframer either
 * yields messages or refuses with a status (RESOURCE_EXHAUSTED, INTERNAL), whatever the DATA
 * frames' sizes; a message either decodes as an {@code X509SVIDResponse} or throws protobuf's
 * {@link InvalidProtocolBufferException}; a decoded one either becomes java-spiffe's types or is
 * rejected with an {@link InvalidSvidException} naming a reason. Nothing else escapes (an escaping
 * exception would end the stream instead of rejecting one update).
 *
 * <p>Input: the first byte is the size of the DATA pieces (1-256), the rest a response body (see
 * {@code WorkloadApiMessagesFuzzTestInputs/}). {@code mvn test} replays the committed inputs;
 * {@code scripts/fuzz.sh} explores with {@code JAZZER_FUZZ=1}.
 */
class WorkloadApiMessagesFuzzTest {
  private static final int MAX_MESSAGE = 64 * 1024;

  @FuzzTest(maxDuration = "2m")
  void responseBodiesAreReadOrRefusedNeverThrownOn(byte[] input) {
    if (input.length == 0) {
      return;
    }
    int piece = (input[0] & 0xff) + 1;
    GrpcDeframer deframer = new GrpcDeframer(MAX_MESSAGE);
    List<byte[]> messages = new ArrayList<>();
    try {
      for (int at = 1; at < input.length; at += piece) {
        messages.addAll(deframer.feed(ByteBuffer.wrap(input, at,
            Math.min(piece, input.length - at))));
      }
    } catch (WorkloadApiException e) {
      assertThat(e.status().codeName()).isIn("RESOURCE_EXHAUSTED", "INTERNAL");
    }
    for (byte[] message : messages) {
      assertThat(message.length).isLessThanOrEqualTo(MAX_MESSAGE);
      Workload.X509SVIDResponse response;
      try {
        response = Workload.X509SVIDResponse.parseFrom(message);
      } catch (InvalidProtocolBufferException e) {
        continue;
      }
      try {
        WorkloadApiUpdates.x509Context(response);
      } catch (InvalidSvidException e) {
        assertThat(e.reason()).isNotNull();
        assertThat(e.getMessage()).startsWith("java-spiffe cannot decode the update: ");
      }
    }
  }
}
