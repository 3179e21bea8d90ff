"""Writes a tiny llama-architecture GGUF model with random weights, for tests only.

Its vocabulary is the 256 bytes (SentencePiece byte fallback) plus the word separator, so
any text tokenizes; one transformer block of width 32. It knows nothing, but under a grammar
llama.cpp can only sample what the grammar allows, which is what the tests check.

    python tiny_gguf.py OUT.gguf [SEED]
"""
import sys

import numpy as np
import gguf

WIDTH, HEADS, BLOCKS, FFN, CONTEXT = 32, 2, 1, 64, 8192


def main(out: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    specials = [(b"<unk>", gguf.TokenType.UNKNOWN), (b"<s>", gguf.TokenType.CONTROL),
                (b"</s>", gguf.TokenType.CONTROL)]
    byte_tokens = [(f"<0x{b:02X}>".encode(), gguf.TokenType.BYTE) for b in range(256)]
    vocab = specials + byte_tokens + [("\u2581".encode(), gguf.TokenType.NORMAL)]

    w = gguf.GGUFWriter(out, "llama")
    w.add_name("tiny-random-llama")
    w.add_context_length(CONTEXT)
    w.add_embedding_length(WIDTH)
    w.add_block_count(BLOCKS)
    w.add_feed_forward_length(FFN)
    w.add_head_count(HEADS)
    w.add_head_count_kv(HEADS)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_rope_dimension_count(WIDTH // HEADS)
    w.add_file_type(gguf.LlamaFileType.ALL_F32)
    w.add_tokenizer_model("llama")
    w.add_token_list([t for t, _ in vocab])
    w.add_token_scores([0.0] * len(vocab))
    w.add_token_types([k for _, k in vocab])
    w.add_add_space_prefix(False)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_unk_token_id(0)
    w.add_chat_template(
        "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
        "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")

    def random(name: str, *shape: int) -> None:
        w.add_tensor(name, (rng.standard_normal(shape) * 0.05).astype(np.float32))

    def ones(name: str) -> None:
        w.add_tensor(name, np.ones(WIDTH, np.float32))

    random("token_embd.weight", len(vocab), WIDTH)
    for b in range(BLOCKS):
        ones(f"blk.{b}.attn_norm.weight")
        for part in ("q", "k", "v", "output"):
            random(f"blk.{b}.attn_{part}.weight", WIDTH, WIDTH)
        ones(f"blk.{b}.ffn_norm.weight")
        random(f"blk.{b}.ffn_gate.weight", FFN, WIDTH)
        random(f"blk.{b}.ffn_up.weight", FFN, WIDTH)
        random(f"blk.{b}.ffn_down.weight", WIDTH, FFN)
    ones("output_norm.weight")
    random("output.weight", len(vocab), WIDTH)

    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 7)
