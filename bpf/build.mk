# bpf/build.mk: the two XDP programs.
BPF_OBJECTS += bpf/lb.bpf.o bpf/backend.bpf.o
