/* dr_switch_aarch64.S: void dr__ctx_switch(void **save, void *new_sp)
 * AAPCS64: x19-x28, x29 (fp), x30 (lr) and d8-d15 are callee-saved. */
#if defined(__aarch64__)
    .text
    .globl dr__ctx_switch
    .type dr__ctx_switch, %function
    .p2align 4
dr__ctx_switch:
    sub sp, sp, #176
    stp x19, x20, [sp, #0]
    stp x21, x22, [sp, #16]
    stp x23, x24, [sp, #32]
    stp x25, x26, [sp, #48]
    stp x27, x28, [sp, #64]
    stp x29, x30, [sp, #80]
    stp d8, d9, [sp, #96]
    stp d10, d11, [sp, #112]
    stp d12, d13, [sp, #128]
    stp d14, d15, [sp, #144]
    mov x9, sp
    str x9, [x0]
    mov sp, x1
    ldp x19, x20, [sp, #0]
    ldp x21, x22, [sp, #16]
    ldp x23, x24, [sp, #32]
    ldp x25, x26, [sp, #48]
    ldp x27, x28, [sp, #64]
    ldp x29, x30, [sp, #80]
    ldp d8, d9, [sp, #96]
    ldp d10, d11, [sp, #112]
    ldp d12, d13, [sp, #128]
    ldp d14, d15, [sp, #144]
    add sp, sp, #176
    ret
    .size dr__ctx_switch, .-dr__ctx_switch
#endif
    .section .note.GNU-stack,"",%progbits
