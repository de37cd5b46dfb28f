/* pshpack1.h: structures declared after it are packed to 1 bytes, until
 * poppack.h (#pragma pack push/pop). No include guard: included once per use. */
#pragma pack(push, 1)
