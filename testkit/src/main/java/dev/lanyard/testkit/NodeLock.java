package dev.lanyard.testkit;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;

/**
 * One test node at a time on this machine, across JVMs and worktrees: a node needs most of two
 * cores while it starts, and the kubelet's machine-wide sysctls are restored by whichever node
 * recorded them. A second node waits for the first ({@link #acquire}'s timeout), then fails.
 */
final class NodeLock implements AutoCloseable {
  static final Path FILE = Path.of(System.getProperty("java.io.tmpdir"), "lanyard-kube-node.lock");

  private final FileChannel channel;
  private final FileLock lock;

  private NodeLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  static NodeLock acquire(Duration timeout) {
    try {
      FileChannel channel = FileChannel.open(FILE, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      long deadline = System.nanoTime() + timeout.toNanos();
      boolean announced = false;
      while (true) {
        FileLock lock;
        try {
          lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
          lock = null; // held by another node in this JVM
        }
        if (lock != null) {
          return new NodeLock(channel, lock);
        }
        if (System.nanoTime() > deadline) {
          channel.close();
          throw new IllegalStateException("another test node still runs on this machine after "
              + timeout + " (it holds " + FILE + "); one node at a time: wait for it or stop it");
        }
        if (!announced) {
          System.err.println("testkit: waiting for another test node on this machine (" + FILE + ")");
          announced = true;
        }
        ManagedProcess.sleep(1000);
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot open " + FILE + ": " + e, e);
    }
  }

  @Override
  public void close() {
    try {
      lock.release();
      channel.close();
    } catch (IOException e) {
      System.err.println("testkit: could not release " + FILE + ": " + e);
    }
  }
}
