package dev.lanyard.tls.workloadapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.nio.channels.Channels;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The frames this client writes read back as written; what the reader refuses. */
class Http2FramesTest {

  @Test
  void everyFrameKindRoundTrips() throws Exception {
    byte[] opaque = {1, 2, 3, 4, 5, 6, 7, 8};
    byte[] body = "hello".getBytes();
    List<Http2Frame> frames = read(concat(
        Http2Frames.settings(Http2Frames.SETTINGS_ENABLE_PUSH, 0,
            Http2Frames.SETTINGS_MAX_HEADER_LIST_SIZE, 16384),
        Http2Frames.settingsAck(),
        Http2Frames.pingAck(opaque),
        Http2Frames.windowUpdate(3, 0x7fff_ffff),
        Http2Frames.rstStream(5, Http2ErrorCodes.CANCEL),
        Http2Frames.goAway(7, Http2ErrorCodes.ENHANCE_YOUR_CALM, "too many pings"),
        Http2Frames.data(9, body, 1, 3, true)), 16384);

    assertThat(frames).hasSize(7);
    Http2Frame settings = frames.get(0);
    assertThat(settings.type).isEqualTo(Http2Frame.SETTINGS);
    assertThat(settings.payload).containsExactly(0, 2, 0, 0, 0, 0, 0, 6, 0, 0, 0x40, 0);
    assertThat(frames.get(1).type).isEqualTo(Http2Frame.SETTINGS);
    assertThat(frames.get(1).has(Http2Frame.FLAG_ACK)).isTrue();
    assertThat(frames.get(1).payload).isEmpty();
    assertThat(frames.get(2).type).isEqualTo(Http2Frame.PING);
    assertThat(frames.get(2).has(Http2Frame.FLAG_ACK)).isTrue();
    assertThat(frames.get(2).payload).isEqualTo(opaque);
    assertThat(frames.get(3).streamId).isEqualTo(3);
    assertThat(frames.get(3).int31(0)).isEqualTo(0x7fff_ffff);
    assertThat(frames.get(4).streamId).isEqualTo(5);
    assertThat(frames.get(4).uint32(0)).isEqualTo(Http2ErrorCodes.CANCEL);
    Http2Frame goAway = frames.get(5);
    assertThat(goAway.int31(0)).isEqualTo(7);
    assertThat(goAway.uint32(4)).isEqualTo(Http2ErrorCodes.ENHANCE_YOUR_CALM);
    assertThat(new String(goAway.payload, 8, goAway.payload.length - 8)).isEqualTo("too many pings");
    Http2Frame data = frames.get(6);
    assertThat(data.type).isEqualTo(Http2Frame.DATA);
    assertThat(data.streamId).isEqualTo(9);
    assertThat(data.has(Http2Frame.FLAG_END_STREAM)).isTrue();
    assertThat(data.payload).isEqualTo("ell".getBytes());
  }

  @Test
  void aHeaderBlockLongerThanTheFrameSizeGoesOnInContinuations() throws Exception {
    byte[] block = new byte[40_000];
    Arrays.fill(block, (byte) 'x');
    List<Http2Frame> frames = read(Http2Frames.headers(1, block, true, 16_384), 16_384);

    assertThat(frames).extracting(frame -> frame.type).containsExactly(Http2Frame.HEADERS,
        Http2Frame.CONTINUATION, Http2Frame.CONTINUATION);
    assertThat(frames).extracting(frame -> frame.payload.length).containsExactly(16_384, 16_384,
        40_000 - 2 * 16_384);
    assertThat(frames.get(0).has(Http2Frame.FLAG_END_STREAM)).isTrue();
    assertThat(frames.get(0).has(Http2Frame.FLAG_END_HEADERS)).isFalse();
    assertThat(frames.get(1).flags).isZero();
    assertThat(frames.get(2).has(Http2Frame.FLAG_END_HEADERS)).isTrue();
    assertThat(frames.get(2).has(Http2Frame.FLAG_END_STREAM)).isFalse();
  }

  @Test
  void anEmptyHeaderBlockIsOneHeadersFrame() throws Exception {
    List<Http2Frame> frames = read(Http2Frames.headers(3, new byte[0], false, 16_384), 16_384);
    assertThat(frames).hasSize(1);
    assertThat(frames.get(0).flags).isEqualTo(Http2Frame.FLAG_END_HEADERS);
  }

  @Test
  void theReservedBitOfTheStreamIdIsIgnored() throws Exception {
    byte[] frame = Http2Frames.rstStream(5, 8);
    frame[5] |= (byte) 0x80;
    assertThat(read(frame, 16_384).get(0).streamId).isEqualTo(5);
  }

  @Test
  void aFrameAboveTheMaxFrameSizeIsRefusedBeforeItsPayloadIsRead() {
    byte[] header = {0x00, 0x40, 0x01, 0x00, 0x00, 0, 0, 0, 1}; // DATA of 16385 bytes, no payload
    assertThatThrownBy(() -> read(header, 16_384))
        .isInstanceOf(Http2ProtocolException.class)
        .hasMessage("FRAME_SIZE_ERROR: the Workload API sent a DATA frame of 16385 bytes; this"
            + " client's SETTINGS_MAX_FRAME_SIZE is 16384");
  }

  @Test
  void theConnectionEndingInsideAFrameIsAnErrorAndBetweenFramesIsNot() throws Exception {
    byte[] ping = Http2Frames.pingAck(new byte[8]);
    assertThat(read(new byte[0], 16_384)).isEmpty();
    for (int cut = 1; cut < ping.length; cut++) {
      byte[] partial = Arrays.copyOf(ping, cut);
      assertThatThrownBy(() -> read(partial, 16_384)).as("cut at %d", cut)
          .isInstanceOf(EOFException.class)
          .hasMessage("the connection ended inside an HTTP/2 frame");
    }
  }

  @Test
  void framesSpreadOverManyReadsAreReassembled() throws Exception {
    byte[] data = new byte[70_000];
    Arrays.fill(data, (byte) 3);
    byte[] stream = concat(Http2Frames.data(1, data, 0, 16_384, false),
        Http2Frames.data(1, data, 0, 100, true));
    // A channel handing out one byte per read.
    Http2FrameReader reader = new Http2FrameReader(new java.nio.channels.ReadableByteChannel() {
      int at;

      @Override
      public int read(java.nio.ByteBuffer dst) {
        if (at == stream.length) {
          return -1;
        }
        dst.put(stream[at++]);
        return 1;
      }

      @Override
      public boolean isOpen() {
        return true;
      }

      @Override
      public void close() {}
    }, 16_384, "the peer");
    assertThat(reader.read().payload).hasSize(16_384);
    assertThat(reader.read().payload).hasSize(100);
    assertThat(reader.read()).isNull();
  }

  static List<Http2Frame> read(byte[] bytes, int maxFrameSize) throws Exception {
    Http2FrameReader reader = new Http2FrameReader(
        Channels.newChannel(new ByteArrayInputStream(bytes)), maxFrameSize, "the Workload API");
    List<Http2Frame> frames = new ArrayList<>();
    for (Http2Frame frame = reader.read(); frame != null; frame = reader.read()) {
      frames.add(frame);
    }
    return frames;
  }

  static byte[] concat(byte[]... parts) {
    int length = 0;
    for (byte[] part : parts) {
      length += part.length;
    }
    byte[] all = new byte[length];
    int at = 0;
    for (byte[] part : parts) {
      System.arraycopy(part, 0, all, at, part.length);
      at += part.length;
    }
    return all;
  }
}
