"""Passages -> Answer: the answerer seam, its backends, verification, one registry.

    base.py         the seam (`Answerer`: one required method, declared capabilities),
                    the passage gate, "not covered", citation numbering
    extractive.py   the default: quotes the best sentences, never invents
    llm.py          a chat model writes, the verifier keeps what the passages support
    chat_models.py  the LLM backends (OpenAI-compatible, Ollama, llama.cpp in-process)
    verify.py       checks each generated sentence against the passages it cites
    prompting.py    the messages sent to a model
    followup.py     follow-up questions made standalone
    registry.py     backend name -> answerer; an unknown name lists the valid ones
Not here: finding the passages (retrieval/) or showing the answer (cli/, ui/).
"""
