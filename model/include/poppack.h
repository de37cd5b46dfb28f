/* poppack.h: ends the packing of the last pshpack<n>.h (#pragma pack pop).
 * No include guard: included once per use. */
#pragma pack(pop)
