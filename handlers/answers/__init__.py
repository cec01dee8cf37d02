"""Reading what people type: NIK, NIP / NI PPPK, phone and KPJ numbers, dates, names and titles, rupiah amounts, OPDs,
areas (kecamatan, desa/kelurahan), and "Lainnya"."""
