/* pshpack2.h: structures declared after it are packed to 2 bytes, until
 * poppack.h (#pragma pack push/pop). No include guard: included once per use. */
#pragma pack(push, 2)
