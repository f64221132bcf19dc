package dev.lanyard.tls.workloadapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.twitter.hpack.Encoder;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The HTTP/2 client session against a scripted peer in memory: what it sends for a call, flow
 * control both ways, SETTINGS, PING, GOAWAY, RST_STREAM, CONTINUATION and the connection errors.
 */
class Http2SessionTest {
  private final ByteArrayOutputStream sent = new ByteArrayOutputStream();
  private final Http2Session session =
      new Http2Session(GrpcPeer.workloadApi("/run/spire/agent.sock"), sent::writeBytes);
  private final Encoder serverHpack = new Encoder(4096);

  @Test
  void aCallSendsGrpcHeadersWithTheWorkloadApiMetadataAndItsMessage() throws Exception {
    Recorder call = start("/SpiffeWorkloadAPI/FetchJWTSVID", new byte[] {1, 2, 3}, 10_000_000_000L);

    List<Http2Frame> frames = sentFrames();
    assertThat(frames).extracting(Http2Frame::toString).containsExactly(
        "HEADERS stream 1 flags 0x4 length " + frames.get(0).payload.length,
        "DATA stream 1 flags 0x1 length 8");
    HeaderList headers = new Hpack(Http2Session.MAX_HEADER_LIST).decode(frames.get(0).payload);
    assertThat(headers.toString()).isEqualTo("{:method: POST, :scheme: http,"
        + " :path: /SpiffeWorkloadAPI/FetchJWTSVID, :authority: localhost,"
        + " content-type: application/grpc, te: trailers, user-agent: lanyard-workload-api,"
        + " workload.spiffe.io: true, grpc-timeout: 10000000u}");
    assertThat(frames.get(1).payload).containsExactly(0, 0, 0, 0, 3, 1, 2, 3);
    assertThat(call.closed).isEmpty();
  }

  @Test
  void theClientPrefaceDisablesPushAndNamesItsHeaderListSize() throws Exception {
    byte[] preface = Http2Session.preface();
    assertThat(new String(preface, 0, 24, StandardCharsets.US_ASCII))
        .isEqualTo("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    List<Http2Frame> settings = Http2FramesTest.read(
        java.util.Arrays.copyOfRange(preface, 24, preface.length), 16_384);
    assertThat(settings).hasSize(1);
    assertThat(settings.get(0).payload).containsExactly(0, 2, 0, 0, 0, 0, 0, 6, 0, 0, 0x40, 0);
  }

  @Test
  void aResponseWithMessagesAndTrailersEndsTheCallOk() throws Exception {
    Recorder call = start("/m", new byte[0], 0);
    receive(headers(1, false, ":status", "200", "content-type", "application/grpc"));
    receive(data(1, GrpcDeframer.frame("one".getBytes()), false));
    receive(data(1, GrpcDeframer.frame("two".getBytes()), false));
    receive(headers(1, true, "grpc-status", "0"));

    assertThat(call.messages).containsExactly("one", "two");
    assertThat(call.closed).containsExactly("OK");
    assertThat(session.openStreams()).isZero();
  }

  @Test
  void trailersOnlyCarryTheStatus() throws Exception {
    Recorder call = start("/m", new byte[0], 0);
    receive(headers(1, true, ":status", "200", "content-type", "application/grpc",
        "grpc-status", "7", "grpc-message", "no%20identity%20issued"));
    assertThat(call.closed).containsExactly("PERMISSION_DENIED: no identity issued");
  }

  @Test
  void aHeaderBlockSplitOverContinuationsIsDecodedWhole() throws Exception {
    Recorder call = start("/m", new byte[0], 0);
    byte[] block = block(":status", "200", "content-type", "application/grpc",
        "grpc-status", "14", "grpc-message", "x".repeat(12_000));
    byte[] frames = Http2Frames.headers(1, block, true, 4_096);
    assertThat(Http2FramesTest.read(frames, 1 << 24)).extracting(frame -> frame.type)
        .containsExactly(Http2Frame.HEADERS, Http2Frame.CONTINUATION, Http2Frame.CONTINUATION);
    receive(frames);
    assertThat(call.closed).containsExactly("UNAVAILABLE: " + "x".repeat(12_000));
  }

  @Test
  void headersAboveTheListSizeEndTheCallAndResetTheStream() throws Exception {
    Recorder call = start("/m", new byte[0], 0);
    sent.reset();
    receive(headers(1, false, ":status", "200", "content-type", "application/grpc",
        "x-big", "x".repeat(Http2Session.MAX_HEADER_LIST)));
    assertThat(call.closed).containsExactly("RESOURCE_EXHAUSTED: the Workload API sent headers"
        + " of more than 16384 bytes, this client's limit");
    assertThat(sentFrames()).extracting(Http2Frame::toString)
        .containsExactly("RST_STREAM stream 1 flags 0x0 length 4");
  }

  @Test
  void anotherFrameInsideAHeaderBlockIsAConnectionError() throws Exception {
    start("/m", new byte[0], 0);
    byte[] frames = Http2Frames.headers(1, block(":status", "200", "x", "y".repeat(20_000)),
        false, 16_384);
    receive(java.util.Arrays.copyOf(frames, Http2Frame.HEADER_LENGTH + 16_384)); // HEADERS only
    assertThatThrownBy(() -> receive(Http2Frames.pingAck(new byte[8])))
        .isInstanceOf(Http2ProtocolException.class)
        .hasMessage("PROTOCOL_ERROR: the Workload API sent PING stream 0 flags 0x1 length 8 where"
            + " the CONTINUATION of stream 1 was due");
  }

  @Test
  void theReceiveWindowIsGivenBackAsMessagesAreConsumed() throws Exception {
    Recorder call = start("/m", new byte[0], 0);
    receive(headers(1, false, ":status", "200", "content-type", "application/grpc"));
    sent.reset();
    byte[] message = GrpcDeframer.frame(new byte[10_000 - 5]); // 10,000 bytes of DATA per frame

    for (int i = 0; i < 3; i++) {
      receive(data(1, message, false));
    }
    assertThat(sentFrames()).as("30,000 bytes: below half of 65,535, nothing returned yet")
        .isEmpty();
    receive(data(1, message, false));
    assertThat(sentFrames()).extracting(Http2Frame::toString).containsExactly(
        "WINDOW_UPDATE stream 0 flags 0x0 length 4", "WINDOW_UPDATE stream 1 flags 0x0 length 4");
    assertThat(sentFrames()).allSatisfy(update -> assertThat(update.int31(0)).isEqualTo(40_000));

    // Far past one window in all: the peer may send on for as long as the calls consume.
    for (int i = 0; i < 60; i++) {
      receive(data(1, message, false));
    }
    assertThat(call.messages).hasSize(64);
    assertThat(call.closed).isEmpty();
  }

  @Test
  void dataBeyondTheConnectionWindowIsAFlowControlError() throws Exception {
    start("/m", new byte[0], 0);
    receive(headers(1, false, ":status", "200", "content-type", "application/grpc"));
    assertThatThrownBy(() -> session.onFrame(new Http2Frame(Http2Frame.DATA, 0, 1, new byte[65_536])))
        .isInstanceOf(Http2ProtocolException.class)
        .hasMessage("FLOW_CONTROL_ERROR: the Workload API sent 65536 bytes of DATA on the"
            + " connection with a window of 65535 bytes");
  }

  @Test
  void paddingIsFlowControlledButNotPartOfTheMessage() throws Exception {
    Recorder call = start("/m", new byte[0], 0);
    receive(headers(1, false, ":status", "200", "content-type", "application/grpc"));
    sent.reset();
    byte[] message = GrpcDeframer.frame("padded".getBytes());
    byte[] payload = new byte[1 + message.length + 200];
    payload[0] = (byte) 200;
    System.arraycopy(message, 0, payload, 1, message.length);
    for (int i = 0; i < 154; i++) { // 154 x 212 bytes = 32,648: just below half the window
      session.onFrame(new Http2Frame(Http2Frame.DATA, Http2Frame.FLAG_PADDED, 1, payload));
    }
    assertThat(sentFrames()).isEmpty();
    session.onFrame(new Http2Frame(Http2Frame.DATA, Http2Frame.FLAG_PADDED, 1, payload));
    assertThat(sentFrames()).extracting(update -> update.int31(0)).containsExactly(155 * 212,
        155 * 212);
    assertThat(call.messages).hasSize(155).allMatch("padded"::equals);

    byte[] tooMuchPadding = {(byte) 5, 0, 0, 0, 0};
    assertThatThrownBy(() -> session.onFrame(
        new Http2Frame(Http2Frame.DATA, Http2Frame.FLAG_PADDED, 1, tooMuchPadding)))
        .isInstanceOf(Http2ProtocolException.class)
        .hasMessageStartingWith("PROTOCOL_ERROR: the Workload API sent DATA stream 1 flags 0x8"
            + " length 5 with more padding than payload");
  }

  @Test
  void aRequestLargerThanThePeersWindowsWaitsForWindowUpdates() throws Exception {
    start("/m", new byte[100_000], 0); // 100,005 bytes framed
    assertThat(sentFrames()).extracting(Http2Frame::toString).containsExactly(
        sentFrames().get(0).toString(),
        "DATA stream 1 flags 0x0 length 16384", "DATA stream 1 flags 0x0 length 16384",
        "DATA stream 1 flags 0x0 length 16384", "DATA stream 1 flags 0x0 length 16383");
    sent.reset();
    receive(Http2Frames.windowUpdate(0, 50_000));
    assertThat(sentFrames()).as("the stream's own window is still closed").isEmpty();
    receive(Http2Frames.windowUpdate(1, 50_000));
    assertThat(sentFrames()).extracting(Http2Frame::toString).containsExactly(
        "DATA stream 1 flags 0x0 length 16384", "DATA stream 1 flags 0x0 length 16384",
        "DATA stream 1 flags 0x1 length 1702");
  }

  @Test
  void aNewInitialWindowSizeShiftsOpenStreamsAndTheMaxFrameSizeCutsData() throws Exception {
    receive(Http2Frames.settings(Http2Frames.SETTINGS_INITIAL_WINDOW_SIZE, 0,
        Http2Frames.SETTINGS_MAX_FRAME_SIZE, 20_000));
    assertThat(sentFrames()).extracting(Http2Frame::toString)
        .containsExactly("SETTINGS stream 0 flags 0x1 length 0");
    sent.reset();
    start("/m", new byte[30_000], 0);
    assertThat(sentFrames()).extracting(frame -> frame.type).containsExactly(Http2Frame.HEADERS);
    sent.reset();
    receive(Http2Frames.settings(Http2Frames.SETTINGS_INITIAL_WINDOW_SIZE, 1_000_000));
    assertThat(sentFrames()).extracting(Http2Frame::toString).containsExactly(
        "SETTINGS stream 0 flags 0x1 length 0", "DATA stream 1 flags 0x0 length 20000",
        "DATA stream 1 flags 0x1 length 10005");
  }

  @Test
  void windowsAbove2To31AreFlowControlErrors() throws Exception {
    start("/m", new byte[0], 0);
    assertThatThrownBy(() -> receive(Http2Frames.windowUpdate(0, Integer.MAX_VALUE)))
        .isInstanceOf(Http2ProtocolException.class)
        .hasMessage("FLOW_CONTROL_ERROR: the Workload API grew the send window of the connection"
            + " to 2147483640 bytes, above 2^31-1".replace("2147483640", String.valueOf(
                65_535L - 5 + Integer.MAX_VALUE)));
    Http2Session other = new Http2Session(GrpcPeer.workloadApi("t"), bytes -> { });
    assertThatThrownBy(() -> other.onFrame(frame(Http2Frames.settings(
        Http2Frames.SETTINGS_INITIAL_WINDOW_SIZE, 0x8000_0000L))))
        .isInstanceOf(Http2ProtocolException.class)
        .hasMessage("FLOW_CONTROL_ERROR: the Workload API sent SETTINGS_INITIAL_WINDOW_SIZE"
            + " 2147483648, above 2^31-1");
  }

  @Test
  void aStreamWindowUpdateOfZeroResetsThatStream() throws Exception {
    Recorder call = start("/m", new byte[0], 0);
    sent.reset();
    receive(Http2Frames.windowUpdate(1, 0));
    assertThat(call.closed).containsExactly("INTERNAL: the Workload API sent a WINDOW_UPDATE of 0"
        + " for stream 1 (HTTP/2 PROTOCOL_ERROR)");
    assertThat(sentFrames()).extracting(Http2Frame::toString)
        .containsExactly("RST_STREAM stream 1 flags 0x0 length 4");
  }

  @Test
  void pingsAreAnsweredWithTheirBytesAndAcksAreNot() throws Exception {
    byte[] opaque = {9, 8, 7, 6, 5, 4, 3, 2};
    session.onFrame(new Http2Frame(Http2Frame.PING, 0, 0, opaque));
    session.onFrame(new Http2Frame(Http2Frame.PING, Http2Frame.FLAG_ACK, 0, opaque));
    List<Http2Frame> answers = sentFrames();
    assertThat(answers).hasSize(1);
    assertThat(answers.get(0).has(Http2Frame.FLAG_ACK)).isTrue();
    assertThat(answers.get(0).payload).isEqualTo(opaque);
    assertThatThrownBy(() -> session.onFrame(new Http2Frame(Http2Frame.PING, 0, 0, new byte[7])))
        .isInstanceOf(Http2ProtocolException.class)
        .hasMessage("FRAME_SIZE_ERROR: the Workload API sent PING stream 0 flags 0x0 length 7;"
            + " it must be 8 bytes");
  }

  @Test
  void goAwayEndsTheStreamsAboveItsLastIdAndLetsTheOthersFinish() throws Exception {
    Recorder first = start("/m", new byte[0], 0);
    Recorder second = start("/m", new byte[0], 0);
    Recorder third = start("/m", new byte[0], 0);
    receive(headers(1, false, ":status", "200", "content-type", "application/grpc"));

    receive(Http2Frames.goAway(1, Http2ErrorCodes.NO_ERROR, "max_age"));

    String goingAway = "UNAVAILABLE: the Workload API at /run/spire/agent.sock is going away"
        + " (HTTP/2 GOAWAY NO_ERROR, last stream 1, max_age)";
    assertThat(second.closed).containsExactly(goingAway);
    assertThat(third.closed).containsExactly(goingAway);
    assertThat(first.closed).isEmpty();
    assertThat(session.acceptsCalls()).isFalse();
    assertThat(session.drained()).isFalse();
    Recorder late = start("/m", new byte[0], 0);
    assertThat(late.closed).containsExactly(goingAway);

    receive(data(1, GrpcDeframer.frame("last".getBytes()), false));
    receive(headers(1, true, "grpc-status", "0"));
    assertThat(first.messages).containsExactly("last");
    assertThat(first.closed).containsExactly("OK");
    assertThat(session.drained()).isTrue();
  }

  @Test
  void resetsMapToGrpcStatuses() throws Exception {
    Recorder refused = start("/m", new byte[0], 0);
    Recorder calm = start("/m", new byte[0], 0);
    receive(Http2Frames.rstStream(1, Http2ErrorCodes.REFUSED_STREAM));
    receive(Http2Frames.rstStream(3, Http2ErrorCodes.ENHANCE_YOUR_CALM));
    assertThat(refused.closed).containsExactly("UNAVAILABLE: the Workload API at"
        + " /run/spire/agent.sock reset the stream (HTTP/2 REFUSED_STREAM)");
    assertThat(calm.closed).containsExactly("RESOURCE_EXHAUSTED: the Workload API at"
        + " /run/spire/agent.sock reset the stream (HTTP/2 ENHANCE_YOUR_CALM)");
  }

  @Test
  void aCancelledCallIsResetAndHearsNothingMoreWhileItsDataStillReturnsTheWindow() throws Exception {
    Recorder recorder = new Recorder();
    GrpcCall call = new GrpcCall("/m", recorder, 1 << 20);
    session.start(call, new byte[0], 0);
    receive(headers(1, false, ":status", "200", "content-type", "application/grpc"));
    sent.reset();
    call.cancel();
    assertThat(sentFrames()).extracting(Http2Frame::toString)
        .containsExactly("RST_STREAM stream 1 flags 0x0 length 4");
    assertThat(sentFrames().get(0).uint32(0)).isEqualTo(Http2ErrorCodes.CANCEL);
    sent.reset();
    byte[] message = GrpcDeframer.frame(new byte[16_379]);
    receive(data(1, message, false));
    receive(data(1, message, false));
    assertThat(recorder.messages).isEmpty();
    assertThat(recorder.closed).isEmpty();
    assertThat(sentFrames()).extracting(Http2Frame::toString)
        .containsExactly("WINDOW_UPDATE stream 0 flags 0x0 length 4");
  }

  @Test
  void aListenerCancellingItsCallOnTheFirstMessageResetsTheStreamOnce() throws Exception {
    List<String> heard = new ArrayList<>();
    GrpcCall[] self = new GrpcCall[1];
    self[0] = new GrpcCall("/m", new GrpcCall.Listener() {
      @Override
      public void onMessage(byte[] message) {
        heard.add(new String(message, StandardCharsets.ISO_8859_1));
        self[0].cancel(); // as WorkloadApiClient does with FetchJWTBundles' first answer
      }

      @Override
      public void onClose(GrpcStatus status) {
        heard.add(status.toString());
      }
    }, 1 << 20);
    session.start(self[0], new byte[0], 0);
    receive(headers(1, false, ":status", "200", "content-type", "application/grpc"));
    sent.reset();
    byte[] two = Http2FramesTest.concat(GrpcDeframer.frame("a".getBytes()),
        GrpcDeframer.frame("b".getBytes()));
    receive(data(1, two, false));
    assertThat(heard).containsExactly("a");
    assertThat(sentFrames()).extracting(Http2Frame::toString)
        .containsExactly("RST_STREAM stream 1 flags 0x0 length 4");
  }

  @Test
  void aMessageOverTheLimitEndsTheCallAndResetsTheStream() throws Exception {
    Recorder recorder = new Recorder();
    session.start(new GrpcCall("/m", recorder, 10), new byte[0], 0);
    receive(headers(1, false, ":status", "200", "content-type", "application/grpc"));
    sent.reset();
    receive(data(1, GrpcDeframer.frame(new byte[11]), false));
    assertThat(recorder.closed).containsExactly("RESOURCE_EXHAUSTED: the Workload API sent a"
        + " message of 11 bytes; the limit is 10 bytes");
    assertThat(sentFrames()).extracting(Http2Frame::toString)
        .containsExactly("RST_STREAM stream 1 flags 0x0 length 4");
  }

  @Test
  void framesThatBreakHttp2AreConnectionErrors() throws Exception {
    start("/m", new byte[0], 0);
    assertThatThrownBy(() -> session.onFrame(new Http2Frame(Http2Frame.PUSH_PROMISE,
        Http2Frame.FLAG_END_HEADERS, 1, new byte[4])))
        .hasMessage("PROTOCOL_ERROR: the Workload API sent PUSH_PROMISE; this client disabled"
            + " server push (SETTINGS_ENABLE_PUSH 0)");
    assertThatThrownBy(() -> session.onFrame(new Http2Frame(Http2Frame.DATA, 0, 0, new byte[1])))
        .hasMessage("PROTOCOL_ERROR: the Workload API sent DATA stream 0 flags 0x0 length 1; it"
            + " needs a stream");
    assertThatThrownBy(() -> receive(headers(2, true, ":status", "200")))
        .hasMessageStartingWith("PROTOCOL_ERROR: the Workload API sent HEADERS stream 2")
        .hasMessageEndingWith(" for a stream this client never opened");
    assertThatThrownBy(() -> receive(headers(5, true, ":status", "200")))
        .hasMessageEndingWith(" for a stream this client never opened");
    assertThatThrownBy(() -> session.onFrame(new Http2Frame(Http2Frame.SETTINGS, 0, 0, new byte[5])))
        .hasMessage("FRAME_SIZE_ERROR: the Workload API sent SETTINGS stream 0 flags 0x0 length"
            + " 5; SETTINGS are 6 bytes each");
    assertThatThrownBy(() -> receive(Http2Frames.settings(Http2Frames.SETTINGS_MAX_FRAME_SIZE, 100)))
        .hasMessage("PROTOCOL_ERROR: the Workload API sent SETTINGS_MAX_FRAME_SIZE 100 (16384 to"
            + " 16777215)");
    assertThatThrownBy(() -> session.onFrame(new Http2Frame(Http2Frame.CONTINUATION,
        Http2Frame.FLAG_END_HEADERS, 1, new byte[0])))
        .hasMessage("PROTOCOL_ERROR: the Workload API sent CONTINUATION stream 1 flags 0x4"
            + " length 0 without a HEADERS frame before it");
    // Unknown frame types are ignored.
    session.onFrame(new Http2Frame(0x42, 0, 0, new byte[3]));
  }

  @Test
  void aLostConnectionEndsEveryCall() {
    Recorder first = start("/m", new byte[0], 0);
    Recorder second = start("/m", new byte[0], 0);
    session.connectionLost(new GrpcStatus(GrpcStatus.UNAVAILABLE, "gone"));
    assertThat(first.closed).containsExactly("UNAVAILABLE: gone");
    assertThat(second.closed).containsExactly("UNAVAILABLE: gone");
    assertThat(session.acceptsCalls()).isFalse();
  }

  private Recorder start(String method, byte[] request, long timeoutNanos) {
    Recorder recorder = new Recorder();
    session.start(new GrpcCall(method, recorder, 1 << 20), request, timeoutNanos);
    return recorder;
  }

  private void receive(byte[] frames) throws Exception {
    for (Http2Frame frame : Http2FramesTest.read(frames, 1 << 24)) {
      session.onFrame(frame);
    }
  }

  private static Http2Frame frame(byte[] bytes) throws Exception {
    return Http2FramesTest.read(bytes, 1 << 24).get(0);
  }

  private List<Http2Frame> sentFrames() throws Exception {
    return Http2FramesTest.read(sent.toByteArray(), 1 << 24);
  }

  private byte[] headers(int streamId, boolean endStream, String... namesAndValues) throws Exception {
    return Http2Frames.headers(streamId, block(namesAndValues), endStream, 16_384);
  }

  private byte[] block(String... namesAndValues) throws Exception {
    ByteArrayOutputStream block = new ByteArrayOutputStream();
    for (int i = 0; i < namesAndValues.length; i += 2) {
      serverHpack.encodeHeader(block, namesAndValues[i].getBytes(StandardCharsets.ISO_8859_1),
          namesAndValues[i + 1].getBytes(StandardCharsets.ISO_8859_1), false);
    }
    return block.toByteArray();
  }

  private static byte[] data(int streamId, byte[] bytes, boolean endStream) {
    return Http2Frames.data(streamId, bytes, 0, bytes.length, endStream);
  }

  static final class Recorder implements GrpcCall.Listener {
    final List<String> messages = new ArrayList<>();
    final List<String> closed = new ArrayList<>();

    @Override
    public void onMessage(byte[] message) {
      messages.add(new String(message, StandardCharsets.ISO_8859_1));
    }

    @Override
    public void onClose(GrpcStatus status) {
      closed.add(status.toString());
    }
  }
}
