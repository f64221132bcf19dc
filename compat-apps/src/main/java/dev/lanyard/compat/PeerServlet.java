package dev.lanyard.compat;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.security.cert.X509Certificate;

/**
 * Answers every request with {@code peer=<client URI SAN>}, read the standard servlet way: the
 * {@code jakarta.servlet.request.X509Certificate} request attribute. Shared by Jetty and Tomcat.
 */
final class PeerServlet extends HttpServlet {
  static final String CERTIFICATES_ATTRIBUTE = "jakarta.servlet.request.X509Certificate";

  @Override
  protected void service(HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    X509Certificate[] chain = (X509Certificate[]) request.getAttribute(CERTIFICATES_ATTRIBUTE);
    response.setContentType("text/plain; charset=utf-8");
    response.getWriter().write(Peers.body(Peers.of(chain)));
  }
}
