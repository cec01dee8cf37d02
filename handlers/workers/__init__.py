"""Workers an ASN sponsors: enrolment, "Pekerja saya" with the cover each worker has (it follows the money paid),
membership start dates, reactivating a lapsed membership, officers' view of a worker."""
