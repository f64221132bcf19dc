package dev.lanyard.agent.upgrade.hooks;

import java.lang.instrument.ClassFileTransformer;
import java.security.ProtectionDomain;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import net.bytebuddy.jar.asm.ClassReader;
import net.bytebuddy.jar.asm.ClassVisitor;
import net.bytebuddy.jar.asm.ClassWriter;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;

/**
 * Inserts the bridge calls of {@link MethodHook}s into the classes they name, with the ASM that
 * ByteBuddy bundles and nothing else of ByteBuddy: about 20 classes load where ByteBuddy's
 * {@code AgentBuilder} loads about 970, which is what lets premain put the socket hooks in before
 * {@code main} cheaply. Frames are never computed (that would load classes inside a transformer):
 * the original frames stay valid (the entry code stores a value of the argument's declared type
 * into its slot, exit calls leave the stack as they found it), and the one handler added gets a
 * frame written here. A transform that fails leaves the class as it was and is reported.
 */
public final class HookingTransformer implements ClassFileTransformer {
  /** What the transformer tells the agent; each at most once per method or class. */
  public interface Report {
    /** {@code type} (a.b.C) was hooked. */
    void hooked(String type);

    /** {@code hook}'s method is not in {@code type} as loaded: that path stays unhooked. */
    void notFound(MethodHook hook);

    /** Hooking {@code type} failed; it stays as it was. */
    void failed(String type, Throwable failure);
  }

  private final Map<String, List<MethodHook>> hooksByOwner = new HashMap<>();
  private final ClassLoader ignored;
  private final int feature;
  private final Report report;
  private final Set<String> reported = ConcurrentHashMap.newKeySet();
  private final Consumer<Module> readsBridge;

  /**
   * {@code ignored}: a class loader whose classes are never hooked (the javaagent's own);
   * {@code feature}: the running JDK's feature release, to tell a missing method from one the
   * JDK does not have yet ({@link MethodHook#since}).
   */
  public HookingTransformer(Collection<MethodHook> hooks, ClassLoader ignored, int feature,
      Report report) {
    this(hooks, ignored, feature, report, module -> { });
  }

  /**
   * As above; {@code readsBridge} is given the named module of each library class about to be
   * hooked, to give it a read edge to the bridge's module (a class on the class path reads every
   * module already; java.base gets its edge before the install).
   */
  public HookingTransformer(Collection<MethodHook> hooks, ClassLoader ignored, int feature,
      Report report, Consumer<Module> readsBridge) {
    this.readsBridge = readsBridge;
    for (MethodHook hook : hooks) {
      hooksByOwner.computeIfAbsent(hook.owner(), owner -> new ArrayList<>()).add(hook);
    }
    this.ignored = ignored;
    this.feature = feature;
    this.report = report;
  }

  /** The internal names (a/b/C) of the hooked classes. */
  public Set<String> owners() {
    return Set.copyOf(hooksByOwner.keySet());
  }

  @Override
  public byte[] transform(Module module, ClassLoader loader, String className,
      Class<?> classBeingRedefined, ProtectionDomain domain, byte[] classfile) {
    if (className == null) {
      return null;
    }
    List<MethodHook> hooks = hooksByOwner.get(className);
    if (hooks == null || (loader != null && loader == ignored)
        || (hooks.get(0).jdkClass() && loader != null)) {
      return null;
    }
    try {
      if (!hooks.get(0).jdkClass() && module != null && module.isNamed()) {
        readsBridge.accept(module);
      }
      byte[] hooked = hook(classfile, hooks);
      if (reported.add(className)) {
        report.hooked(className.replace('/', '.'));
      }
      return hooked;
    } catch (Throwable t) {
      if (reported.add("failed " + className)) {
        report.failed(className.replace('/', '.'), t);
      }
      return null;
    }
  }

  /** {@code classfile} with {@code hooks} applied; the ones whose method it lacks are reported. */
  byte[] hook(byte[] classfile, List<MethodHook> hooks) {
    ClassReader reader = new ClassReader(classfile);
    ClassWriter writer = new ClassWriter(reader, ClassWriter.COMPUTE_MAXS);
    List<MethodHook> applied = new ArrayList<>();
    reader.accept(new ClassVisitor(Opcodes.ASM9, writer) {
      @Override
      public MethodVisitor visitMethod(int access, String name, String descriptor,
          String signature, String[] exceptions) {
        MethodVisitor visitor = super.visitMethod(access, name, descriptor, signature, exceptions);
        for (MethodHook hook : hooks) {
          if (hook.name().equals(name) && hook.descriptor().equals(descriptor)
              && (access & (Opcodes.ACC_ABSTRACT | Opcodes.ACC_NATIVE)) == 0) {
            applied.add(hook);
            return new HookingMethodVisitor(visitor, access, hook);
          }
        }
        return visitor;
      }
    }, 0);
    for (MethodHook hook : hooks) {
      if (!applied.contains(hook) && hook.expectedOn(feature) && reported.add(hook.toString())) {
        report.notFound(hook);
      }
    }
    return writer.toByteArray();
  }
}
