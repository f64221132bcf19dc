package dev.lanyard.agent.upgrade.hooks;

import net.bytebuddy.jar.asm.Label;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;
import net.bytebuddy.jar.asm.Type;

/**
 * Inserts one {@link MethodHook}'s calls into one method. Entry: {@code arg0 = bridge(this, arg0)}
 * before the first instruction, outside the handler below (what it throws is the method's
 * outcome, as a refused bind must be). Exit: the bridge call before every return, and a catch-all
 * handler over the whole original body, added last so the method's own handlers come first, that
 * calls the bridge and rethrows the same exception. The exit bridges catch every Throwable
 * themselves ({@code SocketBridge}), so an exit call never changes how the method ends.
 */
final class HookingMethodVisitor extends MethodVisitor {
  private static final String OBJECT = "java/lang/Object";
  private static final String THROWABLE = "java/lang/Throwable";

  private final MethodHook hook;
  private final boolean isStatic;
  private final Type returnType;
  private final Label bodyStart = new Label();
  private final Label bodyEnd = new Label();
  private final Label handler = new Label();

  HookingMethodVisitor(MethodVisitor next, int access, MethodHook hook) {
    super(Opcodes.ASM9, next);
    this.hook = hook;
    this.isStatic = (access & Opcodes.ACC_STATIC) != 0;
    this.returnType = Type.getReturnType(hook.descriptor());
    if (isStatic && (hook.entry() != null || hook.exit() == MethodHook.Exit.THIS
        || hook.exit() == MethodHook.Exit.THIS_AND_THROWN)) {
      throw new IllegalArgumentException(hook + " is static: it has no this to pass");
    }
  }

  @Override
  public void visitCode() {
    super.visitCode();
    if (hook.entry() != null) {
      Type argument = Type.getArgumentTypes(hook.descriptor())[0];
      super.visitVarInsn(Opcodes.ALOAD, 0);
      super.visitVarInsn(argument.getOpcode(Opcodes.ILOAD), 1);
      super.visitMethodInsn(Opcodes.INVOKESTATIC, hook.bridge(), hook.entry(),
          Type.getMethodDescriptor(argument, Type.getObjectType(OBJECT), argument), false);
      super.visitVarInsn(argument.getOpcode(Opcodes.ISTORE), 1);
    }
    if (catchesThrows()) {
      super.visitLabel(bodyStart);
    }
  }

  @Override
  public void visitInsn(int opcode) {
    if (opcode >= Opcodes.IRETURN && opcode <= Opcodes.RETURN) {
      switch (hook.exit()) {
        case THIS_AND_THROWN:
          super.visitVarInsn(Opcodes.ALOAD, 0);
          super.visitInsn(Opcodes.ACONST_NULL);
          super.visitMethodInsn(Opcodes.INVOKESTATIC, hook.bridge(), hook.exitMethod(),
              "(Ljava/lang/Object;Ljava/lang/Throwable;)V", false);
          break;
        case THIS:
          super.visitVarInsn(Opcodes.ALOAD, 0);
          super.visitMethodInsn(Opcodes.INVOKESTATIC, hook.bridge(), hook.exitMethod(),
              "(Ljava/lang/Object;)V", false);
          break;
        case FILTER_RETURN:
          super.visitMethodInsn(Opcodes.INVOKESTATIC, hook.bridge(), hook.exitMethod(),
              Type.getMethodDescriptor(returnType, returnType), false);
          break;
        case FILTER_RETURN_WITH_CLASS:
          super.visitLdcInsn(Type.getObjectType(hook.owner()));
          super.visitMethodInsn(Opcodes.INVOKESTATIC, hook.bridge(), hook.exitMethod(),
              Type.getMethodDescriptor(returnType, returnType, Type.getType(Class.class)), false);
          break;
        default:
          break;
      }
    }
    super.visitInsn(opcode);
  }

  @Override
  public void visitMaxs(int maxStack, int maxLocals) {
    if (catchesThrows()) {
      super.visitLabel(bodyEnd);
      super.visitTryCatchBlock(bodyStart, bodyEnd, handler, null);
      super.visitLabel(handler);
      // Only `this` is read here: every other local is left undeclared (top), which any state
      // of the body is assignable to, so this frame needs no knowledge of the body's locals.
      super.visitFrame(Opcodes.F_FULL, 1, new Object[] {OBJECT}, 1, new Object[] {THROWABLE});
      if (hook.exit() == MethodHook.Exit.THIS_AND_THROWN) {
        super.visitInsn(Opcodes.DUP);
        super.visitVarInsn(Opcodes.ALOAD, 0);
        super.visitInsn(Opcodes.SWAP);
        super.visitMethodInsn(Opcodes.INVOKESTATIC, hook.bridge(), hook.exitMethod(),
            "(Ljava/lang/Object;Ljava/lang/Throwable;)V", false);
      } else {
        super.visitVarInsn(Opcodes.ALOAD, 0);
        super.visitMethodInsn(Opcodes.INVOKESTATIC, hook.bridge(), hook.exitMethod(),
            "(Ljava/lang/Object;)V", false);
      }
      super.visitInsn(Opcodes.ATHROW);
    }
    super.visitMaxs(maxStack, maxLocals);
  }

  private boolean catchesThrows() {
    return hook.exit() == MethodHook.Exit.THIS_AND_THROWN || hook.exit() == MethodHook.Exit.THIS;
  }
}
