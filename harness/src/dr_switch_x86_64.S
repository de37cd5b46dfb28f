/* dr_switch_x86_64.S: void dr__ctx_switch(void **save, void *new_sp)
 * System V: rbx, rbp, r12-r15 are callee-saved; rsp is swapped. */
#if defined(__x86_64__)
    .text
    .globl dr__ctx_switch
    .type dr__ctx_switch, @function
    .p2align 4
dr__ctx_switch:
    .cfi_startproc
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .cfi_endproc
    .size dr__ctx_switch, .-dr__ctx_switch
#endif
    .section .note.GNU-stack,"",@progbits
