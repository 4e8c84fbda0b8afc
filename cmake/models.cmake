# Extracts botocore's service models at build time and embeds them in firebreak_models.
set(models_dir "${CMAKE_BINARY_DIR}/models")
set(models_outputs "${models_dir}/embedded_models.S" "${models_dir}/embedded_models.cpp")
add_custom_command(
  OUTPUT ${models_outputs}
  COMMAND "${FIREBREAK_PYTHON}" "${CMAKE_SOURCE_DIR}/scripts/extract_models.py" --out "${models_dir}"
  DEPENDS "${CMAKE_SOURCE_DIR}/scripts/extract_models.py" "${CMAKE_SOURCE_DIR}/scripts/requirements.txt"
  COMMENT "Extracting AWS service models from botocore"
  VERBATIM)
add_library(firebreak_models STATIC ${models_outputs})
target_include_directories(firebreak_models PUBLIC "${CMAKE_SOURCE_DIR}/src")
