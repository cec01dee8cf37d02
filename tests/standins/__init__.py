"""Local stand-ins of the outside services TuWai talks to, served over real HTTP on 127.0.0.1."""
