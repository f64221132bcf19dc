package dev.lanyard.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A fresh directory under java.io.tmpdir (never a fixed path), readable by other uids because
 * workloads under test run as their own uid and must reach the SPIRE Agent socket inside it.
 */
public final class TempDir implements AutoCloseable {
  private final Path path;

  private TempDir(Path path) {
    this.path = path;
  }

  public static TempDir create(String prefix) {
    try {
      Path dir = Files.createTempDirectory(prefix);
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
      return new TempDir(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a temp dir", e);
    }
  }

  public Path path() {
    return path;
  }

  /** A subdirectory, created with the same open permissions. */
  public Path dir(String name) {
    try {
      Path dir = Files.createDirectories(path.resolve(name));
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + name, e);
    }
  }

  @Override
  public void close() {
    deleteRecursively(path);
  }

  static void deleteRecursively(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try {
      Files.walkFileTree(root, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
          Files.deleteIfExists(file);
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
          Files.deleteIfExists(dir);
          return FileVisitResult.CONTINUE;
        }
      });
    } catch (IOException e) {
      // Best effort: a leftover temp dir must not fail the test that owned it.
      System.err.println("testkit: could not delete " + root + ": " + e);
    }
  }
}
