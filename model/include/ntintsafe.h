/* ntintsafe.h: the kernel's overflow-checked integer arithmetic and
 * conversions, on the compiler's __builtin_*_overflow. Each returns
 * STATUS_SUCCESS with the exact result, or STATUS_INTEGER_OVERFLOW with the
 * type's error value ((T)-1: ULONG_ERROR, LONG_ERROR, SIZET_ERROR...) in
 * *Result, as the WDK's do. Provides:
 *   Rtl<T>Add / Rtl<T>Sub / Rtl<T>Mult for T in UShort, UInt, ULong,
 *     ULongLong, SizeT, ULongPtr, DWordPtr, Int, Long, LongLong, LongPtr,
 *     Int8, UInt8, Short, Byte, Word, DWord
 *   conversions RtlULongLongToULong, RtlULongLongToUInt, RtlULongLongToSizeT,
 *     RtlULongLongToLong, RtlSizeTToULong, RtlSizeTToUInt, RtlSizeTToUShort,
 *     RtlSizeTToLong, RtlULongPtrToULong, RtlULongPtrToUInt, RtlULongToUShort,
 *     RtlULongToUChar, RtlULongToLong, RtlULongToInt, RtlUIntToUShort,
 *     RtlUIntToUChar, RtlUIntToInt, RtlLongToULong, RtlLongToUInt,
 *     RtlLongToUShort, RtlLongToSizeT, RtlLongToULongPtr, RtlIntToUInt,
 *     RtlIntToULong, RtlIntToSizeT, RtlIntToUShort, RtlLongLongToLong,
 *     RtlLongLongToULong, RtlLongLongToULongLong, RtlUShortToUChar
 *   the *_ERROR and *_MAX limits. */
#ifndef DMARACE_NTINTSAFE_H
#define DMARACE_NTINTSAFE_H
#include "wdm.h"

#define USHORT_ERROR ((USHORT)0xffff)
#define UINT_ERROR ((UINT)0xffffffffu)
#define ULONG_ERROR ((ULONG)0xffffffffu)
#define ULONGLONG_ERROR ((ULONGLONG)-1)
#define SIZET_ERROR ((SIZE_T)-1)
#define ULONG_PTR_ERROR ((ULONG_PTR)-1)
#define INT_ERROR (-1)
#define LONG_ERROR (-1L)
#define LONGLONG_ERROR (-1LL)
#define BYTE_MAX 0xff
#define UCHAR_ERROR ((UCHAR)0xff)
#define WORD_MAX 0xffff
#define DWORD_MAX 0xffffffffu
#define ULONG_MAX_VALUE 0xffffffffu

#define KM_INTSAFE_OP(Name, T, op)                                                                         \
    static inline NTSTATUS Name(T a, T b, T *Result)                                                       \
    {                                                                                                      \
        if (__builtin_##op##_overflow(a, b, Result)) {                                                     \
            *Result = (T)-1;                                                                               \
            return STATUS_INTEGER_OVERFLOW;                                                                \
        }                                                                                                  \
        return STATUS_SUCCESS;                                                                             \
    }
#define KM_INTSAFE_OPS(Suffix, T)                                                                          \
    KM_INTSAFE_OP(Rtl##Suffix##Add, T, add)                                                                \
    KM_INTSAFE_OP(Rtl##Suffix##Sub, T, sub)                                                                \
    KM_INTSAFE_OP(Rtl##Suffix##Mult, T, mul)
KM_INTSAFE_OPS(UShort, USHORT)
KM_INTSAFE_OPS(UInt, UINT)
KM_INTSAFE_OPS(ULong, ULONG)
KM_INTSAFE_OPS(ULongLong, ULONGLONG)
KM_INTSAFE_OPS(SizeT, SIZE_T)
KM_INTSAFE_OPS(ULongPtr, ULONG_PTR)
KM_INTSAFE_OPS(DWordPtr, DWORD_PTR)
KM_INTSAFE_OPS(Int, INT)
KM_INTSAFE_OPS(Long, LONG)
KM_INTSAFE_OPS(LongLong, LONGLONG)
KM_INTSAFE_OPS(LongPtr, LONG_PTR)
KM_INTSAFE_OPS(Int8, INT8)
KM_INTSAFE_OPS(UInt8, UINT8)
KM_INTSAFE_OPS(Short, SHORT)
KM_INTSAFE_OPS(Byte, BYTE)
KM_INTSAFE_OPS(Word, WORD)
KM_INTSAFE_OPS(DWord, DWORD)

/* A conversion overflows when the value does not survive it exactly. */
#define KM_INTSAFE_CONV(Name, From, To)                                                                    \
    static inline NTSTATUS Name(From v, To *Result)                                                        \
    {                                                                                                      \
        if (__builtin_add_overflow(v, 0, Result)) {                                                        \
            *Result = (To)-1;                                                                              \
            return STATUS_INTEGER_OVERFLOW;                                                                \
        }                                                                                                  \
        return STATUS_SUCCESS;                                                                             \
    }
KM_INTSAFE_CONV(RtlULongLongToULong, ULONGLONG, ULONG)
KM_INTSAFE_CONV(RtlULongLongToUInt, ULONGLONG, UINT)
KM_INTSAFE_CONV(RtlULongLongToSizeT, ULONGLONG, SIZE_T)
KM_INTSAFE_CONV(RtlULongLongToLong, ULONGLONG, LONG)
KM_INTSAFE_CONV(RtlSizeTToULong, SIZE_T, ULONG)
KM_INTSAFE_CONV(RtlSizeTToUInt, SIZE_T, UINT)
KM_INTSAFE_CONV(RtlSizeTToUShort, SIZE_T, USHORT)
KM_INTSAFE_CONV(RtlSizeTToLong, SIZE_T, LONG)
KM_INTSAFE_CONV(RtlULongPtrToULong, ULONG_PTR, ULONG)
KM_INTSAFE_CONV(RtlULongPtrToUInt, ULONG_PTR, UINT)
KM_INTSAFE_CONV(RtlULongToUShort, ULONG, USHORT)
KM_INTSAFE_CONV(RtlULongToUChar, ULONG, UCHAR)
KM_INTSAFE_CONV(RtlULongToLong, ULONG, LONG)
KM_INTSAFE_CONV(RtlULongToInt, ULONG, INT)
KM_INTSAFE_CONV(RtlUIntToUShort, UINT, USHORT)
KM_INTSAFE_CONV(RtlUIntToUChar, UINT, UCHAR)
KM_INTSAFE_CONV(RtlUIntToInt, UINT, INT)
KM_INTSAFE_CONV(RtlLongToULong, LONG, ULONG)
KM_INTSAFE_CONV(RtlLongToUInt, LONG, UINT)
KM_INTSAFE_CONV(RtlLongToUShort, LONG, USHORT)
KM_INTSAFE_CONV(RtlLongToSizeT, LONG, SIZE_T)
KM_INTSAFE_CONV(RtlLongToULongPtr, LONG, ULONG_PTR)
KM_INTSAFE_CONV(RtlIntToUInt, INT, UINT)
KM_INTSAFE_CONV(RtlIntToULong, INT, ULONG)
KM_INTSAFE_CONV(RtlIntToSizeT, INT, SIZE_T)
KM_INTSAFE_CONV(RtlIntToUShort, INT, USHORT)
KM_INTSAFE_CONV(RtlLongLongToLong, LONGLONG, LONG)
KM_INTSAFE_CONV(RtlLongLongToULong, LONGLONG, ULONG)
KM_INTSAFE_CONV(RtlLongLongToULongLong, LONGLONG, ULONGLONG)
KM_INTSAFE_CONV(RtlUShortToUChar, USHORT, UCHAR)
#undef KM_INTSAFE_OP
#undef KM_INTSAFE_OPS
#undef KM_INTSAFE_CONV
#endif
