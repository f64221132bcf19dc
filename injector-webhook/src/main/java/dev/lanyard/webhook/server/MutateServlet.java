package dev.lanyard.webhook.server;

import dev.lanyard.webhook.admission.AdmissionHandler;
import dev.lanyard.webhook.admission.HttpReply;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * {@code POST /mutate}: only HTTP. Reads at most {@link AdmissionHandler#MAX_BODY_BYTES} (plus one
 * byte, to tell "too large" apart), hands the bytes to the {@link AdmissionHandler} and writes its
 * reply. Everything about admission lives there.
 */
final class MutateServlet extends HttpServlet {
  private static final long serialVersionUID = 1L;

  private final transient AdmissionHandler handler;

  MutateServlet(AdmissionHandler handler) {
    this.handler = handler;
  }

  @Override
  protected void doPost(HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    long declared = request.getContentLengthLong();
    HttpReply reply;
    if (declared > AdmissionHandler.MAX_BODY_BYTES) {
      reply = handler.refuseOversized(declared);
    } else {
      reply =
          handler.handle(
              request.getContentType(), readAtMostOneMoreThanLimit(request.getInputStream()));
    }
    write(response, reply);
  }

  private static byte[] readAtMostOneMoreThanLimit(InputStream in) throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream(16 * 1024);
    byte[] buffer = new byte[16 * 1024];
    int limit = AdmissionHandler.MAX_BODY_BYTES + 1;
    int read;
    while (body.size() < limit
        && (read = in.read(buffer, 0, Math.min(buffer.length, limit - body.size()))) != -1) {
      body.write(buffer, 0, read);
    }
    return body.toByteArray();
  }

  static void write(HttpServletResponse response, HttpReply reply) throws IOException {
    response.setStatus(reply.status());
    response.setContentType(reply.contentType());
    response.setContentLength(reply.body().length);
    response.getOutputStream().write(reply.body());
  }
}
