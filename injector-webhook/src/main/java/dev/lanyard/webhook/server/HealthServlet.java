package dev.lanyard.webhook.server;

import dev.lanyard.webhook.admission.HttpReply;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/** {@code /healthz} (the process answers) and {@code /readyz} (it should get admissions). */
final class HealthServlet extends HttpServlet {
  private static final long serialVersionUID = 1L;

  private final transient Readiness readiness;

  HealthServlet(Readiness readiness) {
    this.readiness = readiness;
  }

  @Override
  protected void doGet(HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    if ("/readyz".equals(request.getServletPath()) && !readiness.ready()) {
      MutateServlet.write(response, HttpReply.text(503, "not ready: starting or shutting down"));
      return;
    }
    MutateServlet.write(response, HttpReply.text(200, "ok"));
  }
}
