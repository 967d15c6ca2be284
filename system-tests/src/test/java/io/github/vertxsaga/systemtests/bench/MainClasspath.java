package io.github.vertxsaga.systemtests.bench;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * The files the modules of this repository ship, as the test's class path holds them: their compiled classes and
 * resources (the migrations Flyway applies), from {@code target/classes} or from the module's jar, never from test
 * output, whose SQL is the tests' own.
 */
final class MainClasspath {
  private MainClasspath() {
  }

  /** Every shipped file under {@code folder} (a class-path path ending in '/'), by path, with its bytes. */
  static Map<String, byte[]> files(String folder) {
    Map<String, byte[]> files = new TreeMap<>();
    try {
      for (URL root : Collections.list(MainClasspath.class.getClassLoader().getResources(folder))) {
        if (root.getPath().contains("/test-classes/") || root.getPath().contains("-tests.jar!")) {
          continue;
        }
        if ("jar".equals(root.getProtocol())) {
          readJar(((JarURLConnection) root.openConnection()).getJarFile(), folder, files);
        } else {
          readDirectory(Path.of(root.toURI()), folder, files);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
    return files;
  }

  private static void readJar(JarFile jar, String folder, Map<String, byte[]> files) throws IOException {
    for (JarEntry entry : Collections.list(jar.entries())) {
      if (!entry.isDirectory() && entry.getName().startsWith(folder)) {
        try (InputStream in = jar.getInputStream(entry)) {
          files.put(entry.getName(), in.readAllBytes());
        }
      }
    }
  }

  private static void readDirectory(Path dir, String folder, Map<String, byte[]> files) throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path path : paths.filter(Files::isRegularFile).toList()) {
        files.put(folder + dir.relativize(path).toString().replace('\\', '/'), Files.readAllBytes(path));
      }
    }
  }

  /**
   * Every string constant of a class file, and the names it refers to: the entries of its constant pool (JVMS 4.4)
   * that are text. A statement the class passes to {@code prepareStatement} is one of them whole when javac could
   * fold it into one constant: a literal, a text block, or literals and {@code static final} constants joined by
   * {@code +}.
   */
  static List<String> constants(byte[] classFile) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(classFile))) {
      if (in.readInt() != 0xCAFEBABE) {
        throw new IllegalArgumentException("not a class file");
      }
      in.readUnsignedShort(); // minor version
      in.readUnsignedShort(); // major version
      int count = in.readUnsignedShort();
      List<String> texts = new ArrayList<>();
      for (int index = 1; index < count; index++) {
        int tag = in.readUnsignedByte();
        switch (tag) {
          case 1 -> texts.add(in.readUTF()); // Utf8: the class file's modified UTF-8 is what readUTF reads
          case 7, 8, 16, 19, 20 -> in.skipBytes(2);
          case 15 -> in.skipBytes(3);
          case 3, 4, 9, 10, 11, 12, 17, 18 -> in.skipBytes(4);
          case 5, 6 -> {
            in.skipBytes(8);
            index++; // a long or a double takes two entries
          }
          default -> throw new IllegalArgumentException("unknown constant pool tag " + tag + " at entry " + index);
        }
      }
      return texts;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
